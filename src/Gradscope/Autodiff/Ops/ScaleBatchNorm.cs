using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// Scale-only batch normalization over channel dimension 1 of x (B, C) or (B, C, H, W), without centering and
/// without an affine scale or shift: y = x / s_c with s_c = sqrt(mean x_c^2 + eps), the mean over the N = B H W
/// values of channel c. With eps = 0 the map is positively homogeneous of degree 0 in x (y(a x) = y(x) for a &gt; 0),
/// so a bias-free ReLU net with these layers stays positively homogeneous in each layer's weights (Theory III's
/// reading of batch normalization as a normalization of the weights; Banburski et al. 2019). Training uses the batch
/// statistic and updates the running mean square r = (1 - m) r + m mean x_c^2; evaluation divides by
/// sqrt(r_c + eps) (a fixed diagonal map). Statistics are accumulated in double.
/// </summary>
public sealed class ScaleBatchNormNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;
    private double[] _inv = [];
    private bool _training;
    private int _batch, _c, _inner;

    internal void Setup(Node<T> x, Tensor<T> runningMeanSquare, bool training, double momentum, double eps)
    {
        var xs = x.Value;
        if (xs.Rank < 2) throw new ArgumentException($"ScaleBatchNorm: input {Tensor<T>.ShapeString(xs.Shape)}, expected (B, C) or (B, C, H, W).");
        int c = xs.Shape[1];
        if (runningMeanSquare.Rank != 1 || runningMeanSquare.Length != c)
            throw new ArgumentException($"ScaleBatchNorm: running_ms {Tensor<T>.ShapeString(runningMeanSquare.Shape)} does not match input {Tensor<T>.ShapeString(xs.Shape)}; expected ({c}).");
        _x = x; _training = training;
        _batch = xs.Shape[0]; _c = c; _inner = xs.Length / Math.Max(1, _batch * c);
        int n = _batch * _inner;
        if (training && n < 1) throw new ArgumentException($"ScaleBatchNorm: training needs at least one value per channel, got input {Tensor<T>.ShapeString(xs.Shape)}.");
        var y = EnsureValue(xs.Shape).Span;
        if (_inv.Length != c) _inv = new double[c];
        var xv = xs.Span; var rms = runningMeanSquare.Span;
        for (int ch = 0; ch < c; ch++)
        {
            double ms;
            if (training)
            {
                double ss = 0;
                for (int k = 0; k < _batch; k++)
                    foreach (var v in xv.Slice((k * c + ch) * _inner, _inner)) { double d = double.CreateChecked(v); ss += d * d; }
                ms = ss / n;
                rms[ch] = T.CreateChecked((1 - momentum) * double.CreateChecked(rms[ch]) + momentum * ms);
            }
            else ms = double.CreateChecked(rms[ch]);
            // NOTE: a channel that is 0 on the whole batch (a dead ReLU unit upstream, eps = 0) has no scale; its output is
            // 0 either way, and 1/s is taken as 0 so that no NaN enters the net (the gradient through it is then 0).
            double s = Math.Sqrt(ms + eps);
            double inv = s > 0 ? 1.0 / s : 0;
            _inv[ch] = inv;
            for (int k = 0; k < _batch; k++)
            {
                int o = (k * c + ch) * _inner;
                for (int i = o; i < o + _inner; i++) y[i] = T.CreateChecked(double.CreateChecked(xv[i]) * inv);
            }
        }
        RequiresGrad = x.RequiresGrad;
    }

    // y_i = x_i / s, s = sqrt(mean_j x_j^2 + eps): dy_i/dx_j = delta_ij / s - x_i x_j / (N s^3), so
    // training: dx_j = (1/s) (gy_j - y_j (1/N) sum_i gy_i y_i); evaluation: dx_j = gy_j / s.
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_x.RequiresGrad) return;
        var gy = Grad!.Span; var yv = Value.Span; var gx = _x.Grad!.Span;
        int n = _batch * _inner;
        for (int ch = 0; ch < _c; ch++)
        {
            double inv = _inv[ch], sgy = 0;
            if (_training)
                for (int k = 0; k < _batch; k++)
                {
                    int o = (k * _c + ch) * _inner;
                    for (int i = o; i < o + _inner; i++) sgy += double.CreateChecked(gy[i]) * double.CreateChecked(yv[i]);
                }
            double mean = sgy / n;
            for (int k = 0; k < _batch; k++)
            {
                int o = (k * _c + ch) * _inner;
                for (int i = o; i < o + _inner; i++)
                    gx[i] += T.CreateChecked(inv * (double.CreateChecked(gy[i]) - (_training ? double.CreateChecked(yv[i]) * mean : 0)));
            }
        }
    }
}

public static partial class Ops
{
    /// <summary>
    /// Scale-only batch normalization of x (B, C, ...) over dimension 1: y = x / sqrt(mean x_c^2 + eps) with the batch
    /// statistic in training (which also updates the running mean square with momentum m) and the running one in evaluation.
    /// </summary>
    /// <exception cref="ArgumentException">The running statistic does not have shape (C), or x has rank &lt; 2.</exception>
    public static Node<T> ScaleBatchNorm<T>(this Tape<T> tape, Node<T> x, Tensor<T> runningMeanSquare, bool training, double momentum = 0.1, double eps = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<ScaleBatchNormNode<T>>();
        n.Setup(x, runningMeanSquare, training, momentum, eps);
        return n;
    }
}
