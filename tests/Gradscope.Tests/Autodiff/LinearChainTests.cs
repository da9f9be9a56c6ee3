using Gradscope.Autodiff;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Tests.Autodiff;

/// <summary>The matrix-chain evaluation of bias-free linear runs against layer-by-layer evaluation and finite differences.</summary>
public class LinearChainTests
{
    private static Sequential<double> Model(int seed, params Layer<double>[] layers)
    {
        var m = new Sequential<double>([((Dense<double>)layers[0]).In], layers);
        var rng = new Rng((ulong)seed);
        Init.FillNormal(m.Flat.AsSpan(), rng, 0.7);
        return m;
    }

    // s(W, x) = sum_i c_i . f(x_i): a scalar whose gradient reaches every weight and input.
    private static double Objective(Sequential<double> model, Tensor<double> x, Tensor<double> c, out double[] gradW, out double[] gradX)
    {
        var tape = new Tape<double>();
        var input = tape.Input(x, requiresGrad: true);
        var y = model.Forward(tape, input);
        var weighted = tape.Mul(y, tape.Input(c));
        model.ZeroGrad();
        tape.Backward(weighted);
        double s = 0; foreach (double v in weighted.Value.Span) s += v;
        gradW = (double[])model.FlatGrad.Clone();
        gradX = input.Grad!.Span.ToArray();
        return s;
    }

    public static TheoryData<string> Nets => new() { "deep-linear-binary", "linear-with-identity-multi-output", "relu-then-linear-stretch" };

    private static Sequential<double> Net(string name) => name switch
    {
        "deep-linear-binary" => Model(1, new Dense<double>(6, 5), new Dense<double>(5, 4), new Dense<double>(4, 4), new Dense<double>(4, 1)),
        "linear-with-identity-multi-output" => Model(2, new Dense<double>(6, 7), new Identity<double>(), new Dense<double>(7, 5), new Dense<double>(5, 3), new Identity<double>()),
        _ => Model(3, new Dense<double>(6, 8), new Relu<double>(), new Dense<double>(8, 7), new Dense<double>(7, 2)),
    };

    [Theory]
    [MemberData(nameof(Nets))]
    public void ChainEqualsLayerByLayerInValueAndGradient(string name)
    {
        var model = Net(name);
        var rng = new Rng(11);
        var x = GradCheck.Random(rng, 0.05, 40, 6);
        var c = GradCheck.Random(rng, 0.0, 40, model.Outputs);
        Assert.True(LinearChainNode<double>.IsCheaper(40, [6, 5, 4, 4, 1]));
        model.FuseLinearChains = true;
        double fused = Objective(model, x, c, out var gwF, out var gxF);
        model.FuseLinearChains = false;
        double layered = Objective(model, x, c, out var gwL, out var gxL);
        Assert.Equal(layered, fused, 1e-12 * Math.Max(1, Math.Abs(layered)));
        for (int i = 0; i < gwL.Length; i++) Assert.True(Math.Abs(gwL[i] - gwF[i]) <= 1e-12 * (1 + Math.Abs(gwL[i])), $"{name}: dW[{i}] {gwF[i]} vs {gwL[i]}");
        for (int i = 0; i < gxL.Length; i++) Assert.True(Math.Abs(gxL[i] - gxF[i]) <= 1e-12 * (1 + Math.Abs(gxL[i])), $"{name}: dx[{i}] {gxF[i]} vs {gxL[i]}");
    }

    [Theory]
    [MemberData(nameof(Nets))]
    public void ChainGradientMatchesFiniteDifferences(string name)
    {
        var model = Net(name);
        model.FuseLinearChains = true;
        var rng = new Rng(12);
        var x = GradCheck.Random(rng, 0.05, 30, 6);
        var c = GradCheck.Random(rng, 0.0, 30, model.Outputs);
        Objective(model, x, c, out var gw, out var gx);
        const double h = 1e-6;
        double worst = 0;
        void Compare(Span<double> values, double[] analytic)
        {
            for (int i = 0; i < values.Length; i++)
            {
                double v0 = values[i];
                values[i] = v0 + h; double fp = Objective(model, x, c, out _, out _);
                values[i] = v0 - h; double fm = Objective(model, x, c, out _, out _);
                values[i] = v0;
                double fd = (fp - fm) / (2 * h);
                worst = Math.Max(worst, Math.Abs(fd - analytic[i]) / Math.Max(1e-3, Math.Abs(fd) + Math.Abs(analytic[i])));
            }
        }
        Compare(model.Flat, gw);
        Compare(x.Span, gx);
        Assert.True(worst < 1e-6, $"{name}: worst relative error {worst:e2}");
    }

    [Fact]
    public void WideOutputsKeepLayerByLayerOrder()
    {
        // a chain whose output is as wide as the batch is not cheaper: layer by layer stays
        Assert.False(LinearChainNode<double>.IsCheaper(4, [100, 100, 100]));
        Assert.True(LinearChainNode<double>.IsCheaper(1000, [50, 100, 100, 100, 100, 1]));
    }

    [Fact]
    public void SteadyStateAllocatesNothing()
    {
        var model = Net("deep-linear-binary");
        var tape = new Tape<double>();
        var x = GradCheck.Random(new Rng(5), 0.0, 64, 6);
        void Step()
        {
            tape.Reset();
            var y = model.Forward(tape, x);
            model.ZeroGrad();
            tape.Backward(y);
        }
        Step(); Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
