using Gradscope.Autodiff;
using Gradscope.Data;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Tests.Measures;

/// <summary>Small nets and data for measure tests, and an explicit Jacobian by per-example backward passes.</summary>
internal static class MeasureTestNets
{
    public static Sequential<double> Mlp(int[] widths, bool bias, ulong seed, bool linear = false, InitScheme scheme = InitScheme.PyTorchDefault)
    {
        var layers = new List<Layer<double>>();
        for (int i = 0; i + 1 < widths.Length; i++)
        {
            layers.Add(new Dense<double>(widths[i], widths[i + 1], bias));
            if (i + 2 < widths.Length) layers.Add(linear ? new Identity<double>() : new Relu<double>());
        }
        var m = new Sequential<double>([widths[0]], layers.ToArray());
        Init.Apply(m, scheme, new Rng(seed));
        if (bias)
        {
            var rng = new Rng(seed + 99);
            foreach (var np in m.NamedParameters)
                if (np.Parameter.Name == "bias") Init.FillNormal(np.Value.Span, rng, 0.3);
        }
        return m;
    }

    public static Dataset Gaussian(int n, int d, int classes, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new double[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = i % classes;
        return new Dataset("gaussian", x, y, [d], classes);
    }

    /// <summary>J (nC x P): row i*C + o = grad_W f_o(x_i), by one tape backward pass per (sample, output).</summary>
    public static double[,] Jacobian(Sequential<double> model, Dataset data)
    {
        int c = model.Outputs, p = model.ParameterCount;
        var j = new double[data.N * c, p];
        var tape = new Tape<double>();
        for (int i = 0; i < data.N; i++)
            for (int o = 0; o < c; o++)
            {
                tape.Reset();
                var x = Tensor<double>.From(data.Row(i), 1, data.D);
                var z = model.Forward(tape, x);
                var pick = tape.Push<PickNode>();
                pick.Setup(z, o);
                model.ZeroGrad();
                tape.Backward(pick);
                for (int k = 0; k < p; k++) j[i * c + o, k] = model.FlatGrad[k];
            }
        return j;
    }
}

/// <summary>y = x[k] (a scalar), for per-output backward passes.</summary>
internal sealed class PickNode : Node<double>
{
    private Node<double> _x = null!;
    private int _k;

    public void Setup(Node<double> x, int k)
    {
        _x = x; _k = k;
        EnsureValue(1)[0] = x.Value[k];
        RequiresGrad = x.RequiresGrad;
    }

    protected internal override void Backward() => _x.Grad!.Span[_k] += Grad![0];
}
