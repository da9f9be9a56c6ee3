using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures.Curvature;

/// <summary>
/// The float32 Hessian of a float64 model (what <c>measure</c> runs for weights stored in F32): <see cref="HessianVectorProduct.CreateSingle"/>
/// against an f32 model's own operator (bit for bit) and against the exact float64 Hessian; the power iteration on float32 products
/// against the exact top eigenvalue, within a bounded number of products.
/// </summary>
public class HessianSingleTests
{
    /// <summary>
    /// An f32 net with a ReLU and an identity between its dense layers (both act on the R of their input in place), its float64 twin
    /// with the same float-representable weights, and the exact Hessian built from P products of the twin.
    /// </summary>
    internal static (Sequential<float> F, Sequential<double> D, Gradscope.Data.Dataset Data, ExactHessian Exact) Nets()
    {
        var d = new Sequential<double>([4], new Dense<double>(4, 7, true), new Relu<double>(), new Dense<double>(7, 5, true), new Identity<double>(),
            new Dense<double>(5, 6, false), new Relu<double>(), new Dense<double>(6, 3, true));
        Init.Apply(d, InitScheme.PyTorchDefault, new Rng(81));
        var f = new Sequential<float>([4], new Dense<float>(4, 7, true), new Relu<float>(), new Dense<float>(7, 5, true), new Identity<float>(),
            new Dense<float>(5, 6, false), new Relu<float>(), new Dense<float>(6, 3, true));
        for (int i = 0; i < d.Flat.Length; i++) { f.Flat[i] = (float)d.Flat[i]; d.Flat[i] = f.Flat[i]; }
        var data = MeasureTestNets.Gaussian(24, 4, 3, 82);
        return (f, d, data, ExactHessian.Of(HessianVectorProduct.Create(d, data, LossKind.CrossEntropy)));
    }

    [Fact]
    public void AFloat32OperatorOfAFloat64ModelIsTheF32ModelsOperator()
    {
        var (f, d, data, exact) = Nets();
        var single = HessianVectorProduct.CreateSingle(d, data, LossKind.CrossEntropy);
        var own = HessianVectorProduct.Create(f, data, LossKind.CrossEntropy);
        Assert.True(single.IsSingle);
        int p = single.Dimension;
        var rng = new Rng(85);
        var v = new float[p];
        for (int i = 0; i < p; i++) v[i] = (float)rng.NextNormal();
        var a = new float[p];
        var b = new float[p];
        single.ApplySingle(v, a);
        own.ApplySingle(v, b);
        Assert.Equal(b, a);
        // the double entry of the float32 operator against the exact float64 Hessian
        var vd = v.Select(x => (double)x).ToArray();
        var hv = new double[p];
        single.Apply(vd, hv);
        var want = Matrix<double>.Build.Dense(p, p, (i, j) => exact.Matrix[i * p + j]) * Vector<double>.Build.DenseOfArray(vd);
        double scale = exact.Eigenvalues.Max(Math.Abs) * Math.Sqrt(vd.Sum(x => x * x));
        for (int i = 0; i < p; i++) Assert.True(Math.Abs(want[i] - hv[i]) <= 1e-5 * scale, $"(H v)[{i}] = {want[i]}, float32 operator {hv[i]}");
    }

    [Fact]
    public void PowerIterationOnFloat32ProductsStopsAtTheirResolution()
    {
        var (_, d, data, exact) = Nets();
        var h = HessianVectorProduct.CreateSingle(d, data, LossKind.CrossEntropy);
        // a tolerance float32 products cannot meet: the floor of 1e-6 applies, so the run stops well before the 1000-product cap
        var top = HessianSpectrum.TopEigenvalues(h, 2, new Rng(86), tolerance: 1e-12);
        Assert.True(h.Products < 1000, $"{h.Products} products");
        var byMagnitude = exact.Eigenvalues.OrderByDescending(Math.Abs).ToArray();
        double radius = Math.Abs(byMagnitude[0]);
        for (int k = 0; k < 2; k++) Assert.True(Math.Abs(top[k] - byMagnitude[k]) <= 1e-4 * radius, $"eigenvalue {k}: {top[k]} vs exact {byMagnitude[k]}");
    }
}
