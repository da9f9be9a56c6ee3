using System.Runtime.InteropServices;

namespace Gradscope.Measures;

using Gradscope.Tensors;

/// <summary>
/// The singular values of W as the square roots of the eigenvalues of its Gram matrix G = W W^T (or W^T W,
/// whichever is smaller: r = min(rows, cols)), descending. G costs one GEMM and its eigenvalues one
/// Householder tridiagonalization (<see cref="SymmetricEigenvalues"/>): many times faster than a full SVD
/// of a wide layer, which makes effective and numerical ranks affordable at every probe.
/// </summary>
/// <remarks>
/// NOTE: squaring loses the small singular values. Every computed eigenvalue is within
/// <see cref="NoiseFloor"/> = (k + r) eps ||W||_F^2 of an exact eigenvalue of W W^T (k = the inner dimension;
/// the usual backward-error bound of the product plus that of the reduction), so a singular value is resolved
/// only when s^2 is well above that floor; eigenvalues at or below it are reported as singular value 0.
/// <see cref="NumericalRank(double)"/> first refines a count the floor leaves open by Sturm counts on the tridiagonal
/// matrix of the reduction (<see cref="Gradscope.Tensors.Linalg.TridiagonalBisection"/>, O(r) each) with the tighter floor
/// k eps ||W||_F^2 + r eps s_1^2; it says when the count is still not decided at this precision, and the caller then needs
/// a full SVD (<see cref="SingularSpectrum.Of"/>).
/// </remarks>
public sealed class GramSpectrum
{
    private GramSpectrum(double[] values, double[] eigenvalues, double noiseFloor, double[] diagonal, double[] offDiagonal, double productFloor, int order)
    {
        Values = values; Eigenvalues = eigenvalues; NoiseFloor = noiseFloor;
        _diagonal = diagonal; _offDiagonal = offDiagonal; _productFloor = productFloor; _order = order;
    }

    // The tridiagonal matrix of the Householder reduction of G, k eps ||W||_F^2 (the product's error bound) and r.
    private readonly double[] _diagonal, _offDiagonal;
    private readonly double _productFloor;
    private readonly int _order;

    /// <summary>The r singular values, descending (0 for eigenvalues at or below the noise floor).</summary>
    public double[] Values { get; }

    /// <summary>The r computed eigenvalues of the Gram matrix, descending (may be slightly negative).</summary>
    public double[] Eigenvalues { get; }

    /// <summary>(k + r) eps ||W||_F^2: the absolute accuracy of each eigenvalue of the Gram matrix.</summary>
    public double NoiseFloor { get; }

    /// <summary>The spectrum of <paramref name="w"/> (float64, <see cref="Parallelism.Threads"/> threads).</summary>
    public static unsafe GramSpectrum Of(WeightMatrix w)
    {
        int rows = w.Rows, cols = w.Cols;
        bool wide = rows <= cols;
        int r = wide ? rows : cols, k = wide ? cols : rows;
        int ld = SymmetricEigenvalues.PaddedStride(r);
        long size = (long)ld * r;
        // NOTE: a probe calls this for every layer; reusing the (r x r) work matrix spares touching fresh pages each time.
        if (_work is null || _work.Length < size) _work = new double[size];
        var g = _work;
        using (MeasureProfile.Time("gram.product")) UpperGram(w, wide, r, k, ld, g);
        double frobenius2 = 0;
        for (int i = 0; i < r; i++)
        {
            double gii = g[(long)i * ld + i];
            if (!double.IsFinite(gii)) throw new ArgumentException($"GramSpectrum: weight '{w.Name}' ({rows} x {cols}) has a non-finite value in {(wide ? "row" : "column")} {i}.");
            frobenius2 += gii;
        }
        double floor = (k + r) * SymmetricEigenvalues.MachineEpsilon * frobenius2;

        double[] lambda, d, e;
        fixed (double* pg = g) lambda = SymmetricEigenvalues.InPlace(pg, r, ld, out d, out e);
        Array.Reverse(lambda);
        var s = new double[r];
        for (int i = 0; i < r; i++) s[i] = lambda[i] > floor ? Math.Sqrt(lambda[i]) : 0;
        return new GramSpectrum(s, lambda, floor, d, e, k * SymmetricEigenvalues.MachineEpsilon * frobenius2, r);
    }

    [ThreadStatic] private static double[]? _work;

    /// <summary>
    /// The spectra of <paramref name="weights"/>, each as <see cref="Of"/> computes it, or for each matrix whose spectrum
    /// cannot be computed the ArgumentException message; <paramref name="alongside"/>, when given, runs once as one more
    /// job after the eigenproblems have been handed out. With <see cref="Parallelism.Threads"/> &gt;= 2 and at least two
    /// sizeable jobs, the jobs run concurrently, one per thread, largest problem first (a thread claims the next job when
    /// done), instead of one after another with each problem split between the threads: a problem's symmetric products are
    /// memory-bound and split with a hand-off per column, while whole problems need none.
    /// </summary>
    /// <remarks>
    /// NOTE: inside a job, the kernels a problem calls find the pool busy and run their parts one after another with the
    /// same split (<see cref="Parallelism"/>), so each spectrum is bit-identical to <see cref="Of"/> at the same thread
    /// count, whichever thread computed it. <paramref name="alongside"/> must not throw (an exception would be rethrown
    /// after every job has finished).
    /// </remarks>
    public static unsafe (GramSpectrum? Spectrum, string? Error)[] OfEach(IReadOnlyList<WeightMatrix> weights, Action? alongside = null)
    {
        var results = new (GramSpectrum?, string?)[weights.Count];
        // largest problem first: r^2 k for the product plus (4/3) r^3 for the reduction
        var order = Enumerable.Range(0, weights.Count).OrderByDescending(i => Cost(weights[i])).ThenBy(i => i).ToArray();
        int jobs = order.Count(i => Cost(weights[i]) >= MinConcurrentCost) + (alongside is null ? 0 : 1);
        if (Parallelism.Threads < 2 || jobs < 2)
        {
            foreach (int i in order) results[i] = Try(weights[i]);
            alongside?.Invoke();
            return results;
        }
        var job = new EachJob(weights, order, results, alongside);
        var handle = GCHandle.Alloc(job);
        try { Parallelism.ForEachChunk(order.Length + (alongside is null ? 0 : 1), Parallelism.Threads, &RunOne, (void*)GCHandle.ToIntPtr(handle)); }
        finally { handle.Free(); }
        return results;
    }

    /// <summary>Below this many multiply-adds a problem does not count as a job worth a thread of its own (a 64 x 64 one).</summary>
    private const double MinConcurrentCost = 64.0 * 64 * 64 * 2;

    private static double Cost(WeightMatrix w)
    {
        double r = Math.Min(w.Rows, w.Cols), k = Math.Max(w.Rows, w.Cols);
        return r * r * (k + 4.0 / 3 * r);
    }

    private sealed record EachJob(IReadOnlyList<WeightMatrix> Weights, int[] Order, (GramSpectrum?, string?)[] Results, Action? Alongside);

    private static unsafe void RunOne(void* state, int chunk)
    {
        var job = (EachJob)GCHandle.FromIntPtr((IntPtr)state).Target!;
        if (chunk == job.Order.Length) { job.Alongside!(); return; }
        int i = job.Order[chunk];
        job.Results[i] = Try(job.Weights[i]);
    }

    // NOTE: finite weights near the double range (1e308) overflow W^T W: the ArgumentException's message is returned.
    private static (GramSpectrum?, string?) Try(WeightMatrix w)
    {
        try { return (Of(w), null); }
        catch (ArgumentException e) { return (null, e.Message); }
    }

    /// <summary>
    /// The upper triangle (and the diagonal blocks) of G = W W^T (r = rows) or W^T W (r = cols), from the row-major
    /// (rows, cols) data, into g with row stride ld: one GEMM per block row of G, each starting at the diagonal
    /// (about half the flops of G).
    /// </summary>
    private static void UpperGram(WeightMatrix w, bool wide, int r, int k, int ld, double[] g)
    {
        const int Block = 128;
        int cols = w.Cols;
        for (int i0 = 0; i0 < r; i0 += Block)
        {
            int rowsOfBlock = Math.Min(Block, r - i0), width = r - i0;
            var c = g.AsSpan(i0 * ld + i0);
            // G[i0.., i0..) = op(W)[i0.., :] op(W)[i0.., :]^T with op(W) = W (wide) or W^T
            if (wide) Gemm.Multiply(false, true, rowsOfBlock, width, k, 1.0, w.Data.AsSpan(i0 * cols), cols, w.Data.AsSpan(i0 * cols), cols, 0.0, c, ld);
            else Gemm.Multiply(true, false, rowsOfBlock, width, k, 1.0, w.Data.AsSpan(i0), cols, w.Data.AsSpan(i0), cols, 0.0, c, ld);
        }
    }

    /// <summary>
    /// #{i : s_i &gt; tol s_1}, or null when some eigenvalue lies within the noise floor of the threshold
    /// tol^2 s_1^2 (the count is then not decided at this precision).
    /// </summary>
    public int? NumericalRank(double tolerance)
    {
        double top = Math.Max(Eigenvalues.Length > 0 ? Eigenvalues[0] : 0, 0);
        double threshold = tolerance * tolerance * top;
        int count = 0;
        bool open = false;
        foreach (double lambda in Eigenvalues)
        {
            if (Math.Abs(lambda - threshold) <= NoiseFloor) open = true;
            if (lambda > threshold) count++;
        }
        if (!open) return count;
        // NOTE: refinement near the threshold only. The Sturm counts are exact for T + dT with |dT| <= 2.5 eps |T|; T is
        // orthogonally similar to G + E with ||E||_2 <= k eps ||W||_F^2 (the product) + r eps ||G||_2 (the reduction;
        // ||G||_2 = s_1^2, up to the floor). The count above the threshold is decided when no eigenvalue of T lies within
        // that tighter floor of it: the counts below threshold -+ floor agree.
        double floor = _productFloor + _order * SymmetricEigenvalues.MachineEpsilon * (top + NoiseFloor)
            + Gradscope.Tensors.Linalg.TridiagonalBisection.ErrorBound(_diagonal, _offDiagonal);
        int below = Gradscope.Tensors.Linalg.TridiagonalBisection.CountBelow(_diagonal, _offDiagonal, threshold - floor);
        int belowHigh = Gradscope.Tensors.Linalg.TridiagonalBisection.CountBelow(_diagonal, _offDiagonal, threshold + floor);
        return below == belowHigh ? _order - below : null;
    }
}
