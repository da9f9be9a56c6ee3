using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures.Curvature;

/// <summary>
/// Per-layer Hessian blocks against the diagonal blocks of the exact Hessian (P products, symmetrized): the restricted
/// operator against the explicit submatrix, the extreme eigenvalues against MathNet's eigendecomposition of the submatrix,
/// the Hutchinson trace against the submatrix's trace within its standard error. Also the float32 products against float64.
/// </summary>
public class HessianBlockTests
{
    [Fact]
    public void BlocksMatchTheExactHessiansDiagonalBlocks()
    {
        var (h, exact, p) = SlqTests.SmallNet();
        Assert.Equal(3, h.Blocks.Count);
        Assert.Equal(p, h.Blocks.Sum(b => b.Size));
        var blocks = HessianBlocks.Of(h, 400, 400, new Rng(41));
        var rng = new Rng(43);
        foreach (var bc in blocks)
        {
            var idx = bc.Block.Ranges.SelectMany(r => Enumerable.Range(r.Offset, r.Length)).ToArray();
            int s = idx.Length;
            var sub = Matrix<double>.Build.Dense(s, s, (i, j) => exact.Matrix[idx[i] * p + idx[j]]);
            // the operator
            var x = Enumerable.Range(0, s).Select(_ => rng.NextNormal()).ToArray();
            var y = new double[s];
            HessianBlocks.Restrict(h, bc.Block)(x, y);
            var want = sub * Vector<double>.Build.DenseOfArray(x);
            double scale = sub.FrobeniusNorm() * Math.Sqrt(s);
            for (int i = 0; i < s; i++) Assert.True(Math.Abs(y[i] - want[i]) <= 1e-12 * scale, $"layer {bc.Block.Step} entry {i}: {y[i]} vs {want[i]}");
            // the eigenvalues (Lanczos runs the whole block here: capped at its size)
            var eig = sub.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).Order().ToArray();
            double radius = eig.Max(Math.Abs);
            // (it stops earlier when the Krylov space is invariant: repeated eigenvalues, e.g. the zero eigenvalue of a low-rank block)
            Assert.InRange(bc.LanczosSteps, 1, s);
            Assert.Equal(eig[^1], bc.LambdaMax, 1e-6 * radius);
            Assert.Equal(eig[0], bc.LambdaMin, 1e-6 * radius);
            Assert.Equal(Math.Abs(eig[^1]) >= Math.Abs(eig[0]) ? eig[^1] : eig[0], bc.Top, 1e-6 * radius);
            // the trace
            double tr = sub.Trace();
            Assert.True(Math.Abs(bc.Trace.Mean - tr) <= 4 * bc.Trace.StandardError + 1e-12, $"layer {bc.Block.Step}: trace {bc.Trace.Mean} +- {bc.Trace.StandardError} vs {tr}");
        }
        // The blocks are not the whole story: the off-diagonal blocks are nonzero for this net.
        Assert.True(blocks.Sum(b => b.Trace.Mean) != 0);
    }

    [Fact]
    public void FewLanczosStepsFindTheTopEigenvalueOfABlock()
    {
        var (h, exact, p) = SlqTests.SmallNet();
        var b = h.Blocks[1];
        var idx = b.Ranges.SelectMany(r => Enumerable.Range(r.Offset, r.Length)).ToArray();
        var sub = Matrix<double>.Build.Dense(idx.Length, idx.Length, (i, j) => exact.Matrix[idx[i] * p + idx[j]]);
        double top = sub.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).Max();
        var bc = HessianBlocks.Of(h, 25, 1, new Rng(47))[1];
        Assert.Equal(25, bc.LanczosSteps);
        // the residual bound brackets the error, and here it is small
        Assert.True(Math.Abs(bc.LambdaMax - top) <= bc.LambdaMaxResidual + 1e-9 * Math.Abs(top), $"{bc.LambdaMax} vs {top} (residual {bc.LambdaMaxResidual})");
        Assert.Equal(top, bc.LambdaMax, 1e-4 * Math.Abs(top));
    }

    [Fact]
    public void Float32ProductsAgreeWithFloat64()
    {
        var m = MeasureTestNets.Mlp([6, 9, 8, 4], true, seed: 81);
        var data = MeasureTestNets.Gaussian(16, 6, 4, 82);
        var f = new Sequential<float>([6], new Dense<float>(6, 9, true), new Relu<float>(), new Dense<float>(9, 8, true), new Relu<float>(), new Dense<float>(8, 4, true));
        for (int i = 0; i < m.Flat.Length; i++) f.Flat[i] = (float)m.Flat[i];
        var m2 = MeasureTestNets.Mlp([6, 9, 8, 4], true, seed: 81);
        for (int i = 0; i < m2.Flat.Length; i++) m2.Flat[i] = f.Flat[i];
        var h64 = HessianVectorProduct.Create(m2, data, LossKind.CrossEntropy);
        var h32 = HessianVectorProduct.Create(f, data, LossKind.CrossEntropy);
        var rng = new Rng(83);
        int p = h64.Dimension;
        var v = Enumerable.Range(0, p).Select(_ => rng.NextNormal()).ToArray();
        var a = new double[p];
        var b = new double[p];
        h64.Apply(v, a);
        h32.Apply(v, b);
        double scale = Math.Sqrt(a.Sum(z => z * z));
        for (int i = 0; i < p; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5 * scale, $"entry {i}: {b[i]} vs {a[i]}");
        // the same product twice is bit-identical (buffers reused, nothing left over)
        var c = new double[p];
        h32.Apply(v, c);
        Assert.Equal(b, c);
    }
}
