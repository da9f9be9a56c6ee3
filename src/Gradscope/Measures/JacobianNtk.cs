using System.Numerics;

namespace Gradscope.Measures;

using Gradscope.Autodiff;
using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>
/// The empirical NTK K = J J^T from the explicit Jacobian J (nC x P, row i * C + o = grad_W f_o(x_i)),
/// built by one tape backward pass per (sample, output) in evaluation mode. Works for every layer type
/// (conv, batch norm, ...); costs nC backward passes and nC x P memory, so it is meant for small nets.
/// The structured <see cref="EmpiricalNtk"/> uses it for nets that are not dense/ReLU/identity chains.
/// </summary>
public static class JacobianNtk
{
    /// <summary>K (nC x nC row-major) on inputs <paramref name="x"/> (n, d); the model's gradient buffer is restored afterwards.</summary>
    public static double[] Compute<T>(Sequential<T> model, double[] x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var j = Jacobian(model, x, n);
        int rows = n * model.Outputs, p = model.ParameterCount;
        var k = new double[(long)rows * rows];
        Gemm.Multiply(false, true, rows, rows, p, 1.0, j, p, j, p, 0.0, k, rows);
        return k;
    }

    /// <summary>J (nC x P row-major): row i * C + o is grad_W f_o(x_i), ordered like <see cref="Sequential{T}.Flat"/>.</summary>
    public static double[] Jacobian<T>(Sequential<T> model, double[] x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int per = model.InputShape.Aggregate(1, (a, b) => a * b);
        if (x.Length != (long)n * per) throw new ArgumentException($"JacobianNtk: {x.Length} input values for n = {n} samples of {per} features.");
        int c = model.Outputs, p = model.ParameterCount;
        var j = new double[(long)n * c * p];
        var saved = (T[])model.FlatGrad.Clone();
        var shape = new int[model.InputShape.Length + 1];
        shape[0] = 1; model.InputShape.CopyTo(shape, 1);
        var xi = new Tensor<T>(shape);
        var tape = new Tape<T>();
        try
        {
            for (int i = 0; i < n; i++)
            {
                var xs = xi.Span;
                for (int q = 0; q < per; q++) xs[q] = T.CreateChecked(x[i * per + q]);
                for (int o = 0; o < c; o++)
                {
                    tape.Reset();
                    var z = model.Forward(tape, xi, training: false);
                    var pick = tape.Push<PickNode<T>>();
                    pick.Setup(z, o);
                    model.ZeroGrad();
                    tape.Backward(pick);
                    System.Numerics.Tensors.TensorPrimitives.ConvertChecked<T, double>(model.FlatGrad, j.AsSpan((int)((long)(i * c + o) * p), p));
                }
            }
        }
        finally { saved.CopyTo(model.FlatGrad, 0); }
        return j;
    }
}

/// <summary>y = x[k] as a scalar node (one output of one sample), so a backward pass gives the gradient of that output.</summary>
internal sealed class PickNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;
    private int _k;

    internal void Setup(Node<T> x, int k)
    {
        if ((uint)k >= (uint)x.Value.Length) throw new ArgumentOutOfRangeException(nameof(k), k, $"Pick: index outside an output of {x.Value.Length} values.");
        _x = x; _k = k;
        EnsureValue(1)[0] = x.Value[k];
        RequiresGrad = x.RequiresGrad;
    }

    // y = x[k]  =>  dx[k] += dy
    protected internal override void Backward() => _x.Grad!.Span[_k] += Grad![0];
}
