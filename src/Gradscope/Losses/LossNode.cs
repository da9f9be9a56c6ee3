using System.Numerics;

namespace Gradscope.Losses;

using Gradscope.Autodiff;
using Gradscope.Tensors;

/// <summary>What a loss node outputs.</summary>
public enum LossOutput
{
    /// <summary>The empirical risk L = (1/n) sum_i l_i.</summary>
    Value,
    /// <summary>log L, computed by log-sum-exp over log l_i (never from L); its gradient is grad L / L.</summary>
    Log,
}

/// <summary>
/// The empirical risk of outputs z (n, C) against labels: a scalar node holding L or log L.
/// Both L and log L (and the per-sample losses) are available after the forward pass.
/// </summary>
public sealed class LossNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _z = null!;
    private double[] _dz = [];      // per sample: d log l_i / dz_i (exp-type) or d l_i / dz_i
    private double[] _logl = [];
    private double[] _l = [];
    private double[] _zrow = [];
    private bool _isLogGrad;
    private LossOutput _output;

    /// <summary>L = mean_i l_i (may underflow to 0 for exponential-type losses; use <see cref="LogL"/>).</summary>
    public double L { get; private set; }
    /// <summary>log L, computed without forming L.</summary>
    public double LogL { get; private set; }
    /// <summary>Per-sample losses l_i of the last forward pass.</summary>
    public ReadOnlySpan<double> SampleLosses => _l;
    /// <summary>Per-sample log l_i of the last forward pass.</summary>
    public ReadOnlySpan<double> SampleLogLosses => _logl;

    internal void Setup(Node<T> z, ReadOnlySpan<int> labels, LossKind kind, double targetScale, LossOutput output)
    {
        var zv = z.Value;
        if (zv.Rank != 2) throw new ArgumentException($"Loss: outputs must be (n, C), got {Tensor<T>.ShapeString(zv.Shape)}.");
        int n = zv.Shape[0], c = zv.Shape[1];
        if (labels.Length != n) throw new ArgumentException($"Loss: {labels.Length} labels for {n} outputs.");
        if (n == 0) throw new ArgumentException("Loss: empty batch.");
        _z = z; _output = output;
        if (_dz.Length != n * c) _dz = new double[n * c];
        if (_l.Length != n) { _l = new double[n]; _logl = new double[n]; }
        if (_zrow.Length != c) _zrow = new double[c];
        var zs = zv.Span;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < c; j++) _zrow[j] = double.CreateChecked(zs[i * c + j]);
            _isLogGrad = Loss.Sample(kind, _zrow, labels[i], targetScale, _dz.AsSpan(i * c, c), out _l[i], out _logl[i]);
        }
        (L, LogL) = Loss.Mean(_l, _logl);
        var y = EnsureValue(1);
        y[0] = T.CreateChecked(output == LossOutput.Log ? LogL : L);
        RequiresGrad = z.RequiresGrad;
    }

    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_z.RequiresGrad) return;
        int n = _l.Length, c = _zrow.Length;
        double g = double.CreateChecked(Grad![0]);
        var gz = _z.Grad!.Span;
        for (int i = 0; i < n; i++)
        {
            // dL/dz_i = l_i dlog l_i / n; d log L / dz_i = (l_i / (n L)) dlog l_i = exp(log l_i - log L - log n) dlog l_i.
            double w;
            if (_output == LossOutput.Log)
                w = _isLogGrad ? Math.Exp(_logl[i] - LogL - Math.Log(n)) : 1.0 / (n * L);
            else
                w = _isLogGrad ? _l[i] / n : 1.0 / n;
            w *= g;
            if (w == 0) continue;
            for (int j = 0; j < c; j++) gz[i * c + j] += T.CreateChecked(w * _dz[i * c + j]);
        }
    }
}

/// <summary>Tape ops for losses.</summary>
public static class LossOps
{
    /// <summary>Records the empirical risk (or its log) of outputs <paramref name="z"/> (n, C) against <paramref name="labels"/>.</summary>
    public static LossNode<T> Loss<T>(this Tape<T> tape, Node<T> z, ReadOnlySpan<int> labels, LossKind kind,
        double targetScale = 1.0, LossOutput output = LossOutput.Value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<LossNode<T>>();
        n.Setup(z, labels, kind, targetScale, output);
        return n;
    }
}
