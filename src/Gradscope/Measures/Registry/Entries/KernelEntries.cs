namespace Gradscope.Measures.Registry.Entries;

using Gradscope.Data;
using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>
/// The empirical NTK K_ij = &lt;grad_W f(x_i), grad_W f(x_j)&gt; (THEORY.md section 5) on <see cref="MeasureOptions.NtkSamples"/>
/// evenly spaced training rows or the explicit <see cref="MeasureOptions.NtkRows"/> (n C x n C for C outputs, sample-major),
/// its summary from one symmetric eigenvalue solve, and the kernel distance from initialization.
/// </summary>
internal static class KernelEntries
{
    private sealed record Kernel(int[] Rows, double[] K, double[] Ascending, int Size, Dataset Subset);

    private static string? Na(MeasureContext c) => c.Options.NtkRows is null && c.Options.NtkSamples is null
        ? "opt-in: an n C x n C Gram matrix (MeasureOptions.NtkSamples or NtkRows; measure --ntk)" : null;

    private static Kernel Compute(MeasureContext c) => c.Memo("ntk", () =>
    {
        var train = c.Train;
        var idx = c.Options.NtkRows;
        if (idx is null)
        {
            int m = Math.Min(c.Options.NtkSamples!.Value, train.N);
            idx = new int[m];
            for (int i = 0; i < m; i++) idx[i] = (int)((long)i * train.N / m);
        }
        var sub = train.Subset(idx);
        var k = c.Ntk(sub);
        // NOTE: one symmetric eigenvalue solve of (K + K^T)/2 gives the summary and the spectrum (no second dense decomposition).
        int size = (int)Math.Round(Math.Sqrt(k.Length));
        var sym = new double[k.Length];
        for (int i = 0; i < size; i++) for (int j = 0; j < size; j++) sym[i * size + j] = 0.5 * (k[i * size + j] + k[j * size + i]);
        return new Kernel(idx, k, SymmetricSpectrum.Ascending(sym, size), size, sub);
    });

    private static IMeasure Summary(string key, string symbol, string formula, Func<Kernel, double> value) =>
        Of(key, symbol, formula, "5", N.OptIn, C.Kernel, Na, (c, s) => s.Set(key, value(Compute(c))), "ntk.*");

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("ntk.samples", "n_K", "training rows the empirical NTK is computed on", "5", N.OptIn, C.Kernel, Na, (c, s) =>
        {
            var k = Compute(c);
            s.Set("ntk.samples", k.Rows.Length);
            // Row (i, c) of K is sample Rows[i], output c (C outputs: the nC x nC block matrix, sample-major).
            s.SetArray("ntk.gram", [k.Size, k.Size], k.K);
            s.SetArray("ntk.eigenvalues", [k.Size], k.Ascending.Reverse().ToArray());
            s.SetArray("ntk.rows", [k.Rows.Length], k.Rows.Select(i => (double)i).ToArray());
        }, "ntk.*");
        yield return Summary("ntk.size", "n C", "order of the Gram matrix", k => k.Size);
        yield return Summary("ntk.trace", "tr K", "trace of the empirical NTK", k => { double t = 0; for (int i = 0; i < k.Size; i++) t += k.K[i * k.Size + i]; return t; });
        yield return Summary("ntk.frobenius", "||K||_F", "Frobenius norm of the empirical NTK", k => System.Numerics.Tensors.TensorPrimitives.Norm<double>(k.K));
        yield return Summary("ntk.lambda_max", "lambda_max(K)", "largest eigenvalue of (K + K^T)/2", k => k.Ascending[^1]);
        yield return Summary("ntk.lambda_min", "lambda_min(K)", "smallest eigenvalue of (K + K^T)/2", k => k.Ascending[0]);
        yield return Of("ntk.condition", "kappa(K)", "lambda_max / lambda_min", "5", N.OptIn, C.Kernel, Na, (c, s) =>
        {
            var k = Compute(c);
            if (k.Ascending[0] > 0) s.Set("ntk.condition", k.Ascending[^1] / k.Ascending[0]);
            else s.Omit("ntk.condition", $"lambda_min = {k.Ascending[0]:G3} <= 0: K is singular to rounding (e.g. n C = {k.Size} exceeds the {c.ParameterCount} parameters)");
        }, "ntk.*");
        yield return Of("ntk.kernel_distance", "1 - <K_0, K>_F / (||K_0||_F ||K||_F)", "kernel distance of the empirical NTK from the one at initialization", "5", N.OptIn | N.InitWeights, C.Kernel,
            c => Na(c) ?? (c.HasInitialNet ? null : "needs the weights at initialization (measure --initial W0.safetensors, or a run's step-0 checkpoint)"),
            (c, s) => { var k = Compute(c); s.Set("ntk.kernel_distance", EmpiricalNtk.KernelDistance(c.InitialNtk(k.Subset)!, k.K)); }, "ntk.kernel_distance");
    }
}
