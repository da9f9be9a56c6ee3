using System.Numerics;
using System.Numerics.Tensors;

namespace Gradscope.Measures;

using Gradscope.Nn;

/// <summary>
/// A weight layer W_k as the linear operator T it applies to the flattened per-sample input (THEORY.md section 1:
/// a conv layer's matrix is its dense-equivalent Toeplitz operator): T has shape (<see cref="Rows"/>, <see cref="Cols"/>)
/// = (output length, input length), y.flatten() = T x.flatten() for the row-major (C, H, W) sample, bias excluded.
/// For a dense layer T is the weight matrix itself; for conv and locally connected layers it is never formed
/// unless asked for (<see cref="ToMatrix"/>): norms come in closed form from the taps (<see cref="Frobenius"/>,
/// <see cref="RowSum21"/>) and ||T||_2 by Lanczos or power iteration with <see cref="Apply"/> and <see cref="ApplyTranspose"/>
/// (<see cref="OperatorNorm"/>). The weight parameter reshaped to (shape[0], rest) is the kernel side (<see cref="Kernel"/>).
/// </summary>
public abstract class LayerOperator
{
    /// <summary>Most entries of an explicit T whose spectrum the measures compute (2^22 doubles, 32 MB).</summary>
    public const long MaxSpectrumEntries = 1L << 22;

    /// <summary>Most multiply-adds of the Gram matrix of an explicit T (min(R, C)^2 max(R, C)) for its spectrum.</summary>
    public const double MaxSpectrumWork = 4e9;

    /// <summary>Wraps the kernel matrix <paramref name="kernel"/> of an operator of shape (<paramref name="rows"/>, <paramref name="cols"/>).</summary>
    protected LayerOperator(WeightMatrix kernel, int rows, int cols)
    {
        if (rows <= 0 || cols <= 0) throw new ArgumentException($"LayerOperator '{kernel.Name}': shape ({rows}, {cols}) is empty.");
        Kernel = kernel; Rows = rows; Cols = cols;
    }

    /// <summary>The weight parameter as a (shape[0], rest) matrix: the kernel side (the dense weight itself for a dense layer).</summary>
    public WeightMatrix Kernel { get; }
    /// <summary>state_dict name of the weight ("0.weight").</summary>
    public string Name => Kernel.Name;
    /// <summary>Index of the owning layer in the Sequential.</summary>
    public int LayerIndex => Kernel.LayerIndex;
    /// <summary>Output length of one sample (rows of T).</summary>
    public int Rows { get; }
    /// <summary>Input length of one sample (columns of T).</summary>
    public int Cols { get; }
    /// <summary>Whether T is the kernel matrix itself (a dense layer), so kernel and operator quantities coincide.</summary>
    public virtual bool IsKernelMatrix => false;
    /// <summary>Layer kind: "dense", "conv2d" or "locally_connected2d".</summary>
    public abstract string Kind { get; }

    /// <summary>y = T x; x has <see cref="Cols"/> values, y <see cref="Rows"/> (overwritten).</summary>
    public abstract void Apply(ReadOnlySpan<double> x, Span<double> y);

    /// <summary>x = T^T y (the adjoint); y has <see cref="Rows"/> values, x <see cref="Cols"/> (overwritten).</summary>
    public abstract void ApplyTranspose(ReadOnlySpan<double> y, Span<double> x);

    /// <summary>||T||_F in closed form from the weights (no T formed).</summary>
    public abstract double Frobenius();

    /// <summary>||T^T||_{2,1} = sum over rows r of T of ||T[r, :]||_2 (THEORY.md section 3), in closed form.</summary>
    public abstract double RowSum21();

    /// <summary>Whether the explicit T is small enough for its spectrum (<see cref="MaxSpectrumEntries"/>, <see cref="MaxSpectrumWork"/>).</summary>
    public bool SpectrumAffordable
    {
        get
        {
            double r = Math.Min(Rows, Cols), c = Math.Max(Rows, Cols);
            return (long)Rows * Cols <= MaxSpectrumEntries && r * r * c <= MaxSpectrumWork;
        }
    }

    /// <summary>
    /// The explicit T (row-major, Rows x Cols) from <see cref="Apply"/> on the unit vectors (or <see cref="ApplyTranspose"/>
    /// when there are fewer rows); throws when it has more than <see cref="MaxSpectrumEntries"/> entries.
    /// </summary>
    public virtual WeightMatrix ToMatrix()
    {
        if ((long)Rows * Cols > MaxSpectrumEntries)
            throw new InvalidOperationException($"LayerOperator '{Name}': the explicit ({Rows} x {Cols}) operator has more than {MaxSpectrumEntries} entries.");
        var m = new double[(long)Rows * Cols];
        if (Cols <= Rows)
        {
            var e = new double[Cols]; var col = new double[Rows];
            for (int j = 0; j < Cols; j++)
            {
                e[j] = 1; Apply(e, col); e[j] = 0;
                for (int i = 0; i < Rows; i++) m[(long)i * Cols + j] = col[i];
            }
        }
        else
        {
            var e = new double[Rows];
            for (int i = 0; i < Rows; i++) { e[i] = 1; ApplyTranspose(e, m.AsSpan(i * Cols, Cols)); e[i] = 0; }
        }
        return new WeightMatrix(Name, LayerIndex, Rows, Cols, m);
    }

    /// <summary>||T||_2 by Lanczos (<see cref="OperatorNorm.Top"/>) with the given relative tolerance.</summary>
    public double Spectral(double tolerance = OperatorNorm.DefaultTolerance) => OperatorNorm.Top(this, tolerance).Value;

    /// <summary>
    /// The operators W_1..W_L of <paramref name="model"/>, one per weight (the order of <see cref="Sequential{T}.Weights"/>),
    /// on the weights <paramref name="kernels"/> (<see cref="WeightMatrix.Of"/> of the same model; read now if null).
    /// The operators read the kernels' storage, so refilling it (WeightMatrix.Of with reuse) updates them.
    /// </summary>
    /// <exception cref="NotSupportedException">A weight belongs to a layer that is not dense, conv2d or locally_connected2d.</exception>
    public static IReadOnlyList<LayerOperator> Of<T>(Sequential<T> model, IReadOnlyList<WeightMatrix>? kernels = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        kernels ??= WeightMatrix.Of(model);
        var weights = model.Weights;
        if (kernels.Count != weights.Count) throw new ArgumentException($"LayerOperator: {kernels.Count} kernel matrices for {weights.Count} weights.");
        var list = new LayerOperator[kernels.Count];
        for (int k = 0; k < list.Length; k++)
        {
            int i = weights[k].LayerIndex;
            list[k] = model.Layers[i] switch
            {
                Dense<T> => new DenseOperator(kernels[k]),
                Conv2d<T> c => new ConvOperator(kernels[k], c.Geometry(model.LayerInputShapes[i]), c.OutChannels),
                LocallyConnected2d<T> lc => new LocallyConnectedOperator(kernels[k], lc.Geometry, lc.OutChannels),
                var l => throw new NotSupportedException($"LayerOperator: weight '{weights[k].Name}' belongs to layer {i} ('{l.Kind}'); supported: dense, conv2d, locally_connected2d."),
            };
        }
        return list;
    }
}

/// <summary>A dense layer: T = W (out, in), the weight matrix itself.</summary>
public sealed class DenseOperator(WeightMatrix weight) : LayerOperator(weight, weight.Rows, weight.Cols)
{
    /// <inheritdoc/>
    public override bool IsKernelMatrix => true;
    /// <inheritdoc/>
    public override string Kind => "dense";

    /// <inheritdoc/>
    public override void Apply(ReadOnlySpan<double> x, Span<double> y)
    {
        for (int r = 0; r < Rows; r++) y[r] = TensorPrimitives.Dot(Kernel.Row(r), x);
    }

    /// <inheritdoc/>
    public override void ApplyTranspose(ReadOnlySpan<double> y, Span<double> x)
    {
        x[..Cols].Clear();
        for (int r = 0; r < Rows; r++) TensorPrimitives.MultiplyAdd(Kernel.Row(r), y[r], x, x);
    }

    /// <inheritdoc/>
    public override double Frobenius() => FrobeniusNorm.Of(Kernel);
    /// <inheritdoc/>
    public override double RowSum21() => FrobeniusNorm.RowSum21(Kernel);
    /// <inheritdoc/>
    public override WeightMatrix ToMatrix() => Kernel;
}
