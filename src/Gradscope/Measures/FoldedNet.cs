using System.Numerics;

namespace Gradscope.Measures;

using Gradscope.Nn;

/// <summary>
/// The affine maps of a dense / batch-norm / ReLU network in evaluation mode, with every batch-norm layer folded
/// into the dense layer before it: BN(W h) = diag(a) W h + b with a_c = weight_c / sqrt(running_var_c + eps) and
/// b_c = bias_c - a_c running_mean_c, so layer k is h -&gt; W~_k h + b~_k; a scale-only batch norm folds as
/// a_c = 1 / sqrt(running_ms_c + eps), b = 0 (the folded net of a bias-free net is bias-free and homogeneous). Its scale
/// rho~ = prod_k ||[W~_k | b~_k]||_F (bias appended as a column) reduces to rho = prod_k ||W_k||_F for a bias-free
/// net without batch norm; it is the rho that normalizes the margin of a batch-normalized net on its effective
/// weights (a proxy: biases and batch norm break homogeneity, THEORY.md section 1).
/// </summary>
public static class FoldedNet
{
    /// <summary>The folded layers (W~_k as a row-major (out, in) array, b~_k or null) in order; throws on other layer kinds.</summary>
    public static IReadOnlyList<(double[] W, double[]? B, int Out, int In)> Layers<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new List<(double[] W, double[]? B, int Out, int In)>();
        for (int i = 0; i < model.Layers.Count; i++)
        {
            switch (model.Layers[i])
            {
                case Dense<T> d:
                    {
                        var w = ToDouble(model[$"{i}.weight"].Value.Span);
                        double[]? b = d.Bias is null ? null : ToDouble(model[$"{i}.bias"].Value.Span);
                        result.Add((w, b, d.Out, d.In));
                        break;
                    }
                case BatchNorm<T> bn:
                    {
                        if (result.Count == 0 || result[^1].Out != bn.Features || (i > 0 && model.Layers[i - 1] is not Dense<T>))
                            throw new NotSupportedException($"FoldedNet: batch norm at layer {i} must follow a dense layer of {bn.Features} outputs.");
                        var (w, b, rows, cols) = result[^1];
                        var gw = bn.Weight.Value.Span; var gb = bn.Bias.Value.Span;
                        var mu = bn.RunningMean.Value.Span; var var = bn.RunningVar.Value.Span;
                        var nb = new double[rows];
                        for (int r = 0; r < rows; r++)
                        {
                            double a = double.CreateChecked(gw[r]) / Math.Sqrt(double.CreateChecked(var[r]) + bn.Eps);
                            for (int c = 0; c < cols; c++) w[r * cols + c] *= a;
                            nb[r] = double.CreateChecked(gb[r]) + a * ((b is null ? 0 : b[r]) - double.CreateChecked(mu[r]));
                        }
                        result[^1] = (w, nb, rows, cols);
                        break;
                    }
                case ScaleBatchNorm<T> sn:
                    {
                        // scale-only batch norm in evaluation: diag(1 / sqrt(running_ms + eps)), no shift (a bias-free net stays bias-free)
                        if (result.Count == 0 || result[^1].Out != sn.Features || (i > 0 && model.Layers[i - 1] is not Dense<T>))
                            throw new NotSupportedException($"FoldedNet: scale-only batch norm at layer {i} must follow a dense layer of {sn.Features} outputs.");
                        var (w, b, rows, cols) = result[^1];
                        var ms = sn.RunningMeanSquare.Value.Span;
                        for (int r = 0; r < rows; r++)
                        {
                            double s = Math.Sqrt(double.CreateChecked(ms[r]) + sn.Eps), a = s > 0 ? 1 / s : 0;
                            for (int c = 0; c < cols; c++) w[r * cols + c] *= a;
                            if (b is not null) b[r] *= a;
                        }
                        break;
                    }
                case Relu<T>: case Identity<T>: break;
                default: throw new NotSupportedException($"FoldedNet: layer {i} is '{model.Layers[i].Kind}'; only dense, batchnorm, scale_batchnorm, relu and identity are supported.");
            }
        }
        return result;
    }

    /// <summary>rho~ = prod_k ||[W~_k | b~_k]||_F of the folded layers.</summary>
    public static double Rho<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double rho = 1;
        foreach (var (w, b, _, _) in Layers(model))
        {
            double s = 0;
            foreach (double v in w) s += v * v;
            if (b is not null) foreach (double v in b) s += v * v;
            rho *= Math.Sqrt(s);
        }
        return rho;
    }

    private static double[] ToDouble<T>(ReadOnlySpan<T> s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = new double[s.Length];
        for (int i = 0; i < d.Length; i++) d[i] = double.CreateChecked(s[i]);
        return d;
    }
}
