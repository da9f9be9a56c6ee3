using System.Numerics;

namespace Gradscope.Measures;

using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>
/// A float64 snapshot of a model made only of dense layers (with or without bias) and ReLU or
/// identity activations, laid out for the batched passes of the empirical NTK and the Hessian.
/// Parameter offsets refer to <see cref="Sequential{T}.Flat"/>.
/// </summary>
internal sealed class DenseNet
{
    internal enum Kind { Dense, Relu, Identity }

    internal sealed record Step(Kind Kind, int In, int Out, double[]? W, double[]? B, int WeightOffset, int BiasOffset);

    private DenseNet(List<Step> steps, int inputDim, int parameterCount)
    {
        Steps = steps; InputDim = inputDim; ParameterCount = parameterCount;
        OutputDim = steps.Last(s => s.Kind == Kind.Dense).Out;
    }

    internal List<Step> Steps { get; }
    internal int InputDim { get; }
    internal int OutputDim { get; }
    internal int ParameterCount { get; }

    /// <summary>
    /// The snapshot, or null with the reason when a layer is not dense/ReLU/identity. Without <paramref name="weights"/> only the layout
    /// and the biases are kept (W = null: for a consumer that reads the weights itself, or that only asks whether the net is supported).
    /// </summary>
    internal static DenseNet? TryCreate<T>(Sequential<T> model, out string reason, bool weights = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var steps = new List<Step>();
        int width = model.InputShape.Aggregate(1, (a, b) => a * b);
        int inputDim = width;
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var l = model.Layers[i];
            switch (l)
            {
                case Dense<T> d:
                    {
                        var w = model[$"{i}.weight"];
                        var wd = weights ? ToDouble(w.Value.Span) : null;
                        double[]? bd = null; int bo = -1;
                        if (d.Bias is not null) { var b = model[$"{i}.bias"]; bd = ToDouble(b.Value.Span); bo = b.Offset; }
                        steps.Add(new Step(Kind.Dense, d.In, d.Out, wd, bd, w.Offset, bo));
                        width = d.Out;
                        break;
                    }
                case Relu<T>: steps.Add(new Step(Kind.Relu, width, width, null, null, -1, -1)); break;
                case Identity<T>: steps.Add(new Step(Kind.Identity, width, width, null, null, -1, -1)); break;
                default:
                    reason = $"layer {i} is '{l.Kind}'; only dense, relu and identity layers are supported";
                    return null;
            }
        }
        if (!steps.Any(s => s.Kind == Kind.Dense)) { reason = "the model has no dense layer"; return null; }
        reason = "";
        return new DenseNet(steps, inputDim, model.ParameterCount);
    }

    /// <summary>Like <see cref="TryCreate"/> but throws NotSupportedException naming the layer.</summary>
    internal static DenseNet Create<T>(Sequential<T> model, string measure, bool weights = true) where T : unmanaged, IFloatingPointIeee754<T> =>
        TryCreate(model, out var reason, weights) ?? throw new NotSupportedException($"{measure}: {reason}.");

    /// <summary>acts[0] = x (n, d); acts[s + 1] = output of step s (n, width).</summary>
    internal double[][] Forward(double[] x, int n)
    {
        if (x.Length != (long)n * InputDim) throw new ArgumentException($"DenseNet: {x.Length} inputs for n = {n} samples of {InputDim} features.");
        var acts = new double[Steps.Count + 1][];
        acts[0] = x;
        for (int s = 0; s < Steps.Count; s++)
        {
            var st = Steps[s];
            var a = acts[s];
            var o = new double[n * st.Out];
            switch (st.Kind)
            {
                case Kind.Dense:
                    // o (n, out) = a (n, in) W^T (in, out) + b
                    Gemm.Multiply(false, true, n, st.Out, st.In, 1.0, a, st.In, st.W!, st.In, 0.0, o, st.Out);
                    if (st.B is not null) for (int i = 0; i < n; i++) System.Numerics.Tensors.TensorPrimitives.Add(o.AsSpan(i * st.Out, st.Out), st.B, o.AsSpan(i * st.Out, st.Out));
                    break;
                case Kind.Relu: System.Numerics.Tensors.TensorPrimitives.Max(a, 0.0, o); break;
                default: a.CopyTo(o, 0); break;
            }
            acts[s + 1] = o;
        }
        return acts;
    }

    private static double[] ToDouble<T>(ReadOnlySpan<T> s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = new double[s.Length];
        for (int i = 0; i < d.Length; i++) d[i] = double.CreateChecked(s[i]);
        return d;
    }
}
