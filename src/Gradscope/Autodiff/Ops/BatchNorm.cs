using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// Batch normalization over channel dimension 1 of x (B, C) or (B, C, H, W):
/// y = gamma_c (x - mu_c) / sqrt(var_c + eps) + beta_c. Training uses the batch statistics mu_c, var_c
/// (biased, over the N = B H W values of channel c) and updates the running statistics as PyTorch:
/// r_mean = (1 - m) r_mean + m mu_c, r_var = (1 - m) r_var + m var_c N / (N - 1). Evaluation uses the
/// running statistics (then y is affine in x). Statistics are accumulated in double.
/// </summary>
public sealed class BatchNormNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!, _gamma = null!, _beta = null!;
    private Tensor<T> _xhat = null!;
    private double[] _invStd = [];
    private bool _training;
    private int _batch, _c, _inner;

    internal void Setup(Node<T> x, Node<T> gamma, Node<T> beta, Tensor<T> runningMean, Tensor<T> runningVar, bool training, double momentum, double eps)
    {
        var xs = x.Value;
        if (xs.Rank < 2) throw new ArgumentException($"BatchNorm: input {Tensor<T>.ShapeString(xs.Shape)}, expected (B, C) or (B, C, H, W).");
        int c = xs.Shape[1];
        CheckChannel(gamma.Value, "weight", xs, c); CheckChannel(beta.Value, "bias", xs, c);
        CheckChannel(runningMean, "running_mean", xs, c); CheckChannel(runningVar, "running_var", xs, c);
        _x = x; _gamma = gamma; _beta = beta; _training = training;
        _batch = xs.Shape[0]; _c = c; _inner = xs.Length / Math.Max(1, _batch * c);
        int n = _batch * _inner;
        if (training && n < 2) throw new ArgumentException($"BatchNorm: training needs more than one value per channel, got input {Tensor<T>.ShapeString(xs.Shape)}.");
        var y = EnsureValue(xs.Shape).Span;
        if (_xhat is null || !_xhat.HasShape(xs.Shape)) _xhat = new Tensor<T>(xs.Shape);
        if (_invStd.Length != c) _invStd = new double[c];
        var xv = xs.Span; var xh = _xhat.Span; var g = gamma.Value.Span; var b = beta.Value.Span;
        var rm = runningMean.Span; var rv = runningVar.Span;
        for (int ch = 0; ch < c; ch++)
        {
            double mean, var;
            if (training)
            {
                double s = 0;
                for (int k = 0; k < _batch; k++)
                    foreach (var v in xv.Slice((k * c + ch) * _inner, _inner)) s += double.CreateChecked(v);
                mean = s / n;
                double ss = 0;
                for (int k = 0; k < _batch; k++)
                    foreach (var v in xv.Slice((k * c + ch) * _inner, _inner)) { double d = double.CreateChecked(v) - mean; ss += d * d; }
                var = ss / n;
                rm[ch] = T.CreateChecked((1 - momentum) * double.CreateChecked(rm[ch]) + momentum * mean);
                rv[ch] = T.CreateChecked((1 - momentum) * double.CreateChecked(rv[ch]) + momentum * var * n / (n - 1));
            }
            else { mean = double.CreateChecked(rm[ch]); var = double.CreateChecked(rv[ch]); }
            double inv = 1.0 / Math.Sqrt(var + eps);
            _invStd[ch] = inv;
            double gc = double.CreateChecked(g[ch]), bc = double.CreateChecked(b[ch]);
            for (int k = 0; k < _batch; k++)
            {
                int o = (k * c + ch) * _inner;
                for (int i = o; i < o + _inner; i++)
                {
                    double h = (double.CreateChecked(xv[i]) - mean) * inv;
                    xh[i] = T.CreateChecked(h);
                    y[i] = T.CreateChecked(gc * h + bc);
                }
            }
        }
        RequiresGrad = x.RequiresGrad || gamma.RequiresGrad || beta.RequiresGrad;
    }

    private static void CheckChannel(Tensor<T> t, string name, Tensor<T> x, int c)
    {
        if (t.Rank != 1 || t.Length != c)
            throw new ArgumentException($"BatchNorm: {name} {Tensor<T>.ShapeString(t.Shape)} does not match input {Tensor<T>.ShapeString(x.Shape)}; expected ({c}).");
    }

    // dgamma_c += sum gy xhat; dbeta_c += sum gy;
    // training: dx = gamma invstd / N (N gy - sum gy - xhat sum(gy xhat)); evaluation: dx = gamma invstd gy
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        var gy = Grad!.Span; var xh = _xhat.Span; var g = _gamma.Value.Span;
        int n = _batch * _inner;
        for (int ch = 0; ch < _c; ch++)
        {
            double sg = 0, sgx = 0;
            for (int k = 0; k < _batch; k++)
            {
                int o = (k * _c + ch) * _inner;
                for (int i = o; i < o + _inner; i++) { double d = double.CreateChecked(gy[i]); sg += d; sgx += d * double.CreateChecked(xh[i]); }
            }
            if (_gamma.RequiresGrad) _gamma.Grad!.Span[ch] += T.CreateChecked(sgx);
            if (_beta.RequiresGrad) _beta.Grad!.Span[ch] += T.CreateChecked(sg);
            if (!_x.RequiresGrad) continue;
            var gx = _x.Grad!.Span;
            double scale = double.CreateChecked(g[ch]) * _invStd[ch];
            for (int k = 0; k < _batch; k++)
            {
                int o = (k * _c + ch) * _inner;
                for (int i = o; i < o + _inner; i++)
                {
                    double d = double.CreateChecked(gy[i]);
                    double dx = _training ? scale * (d - sg / n - double.CreateChecked(xh[i]) * sgx / n) : scale * d;
                    gx[i] += T.CreateChecked(dx);
                }
            }
        }
    }
}

public static partial class Ops
{
    /// <summary>
    /// Batch normalization of x (B, C, ...) over dimension 1 with affine gamma, beta (C); training uses and
    /// updates (momentum) the running statistics, evaluation uses them.
    /// </summary>
    /// <exception cref="ArgumentException">A parameter or statistic does not have shape (C), or training with one value per channel.</exception>
    public static Node<T> BatchNorm<T>(this Tape<T> tape, Node<T> x, Node<T> gamma, Node<T> beta, Tensor<T> runningMean, Tensor<T> runningVar,
        bool training, double momentum = 0.1, double eps = 1e-5) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<BatchNormNode<T>>();
        n.Setup(x, gamma, beta, runningMean, runningVar, training, momentum, eps);
        return n;
    }
}
