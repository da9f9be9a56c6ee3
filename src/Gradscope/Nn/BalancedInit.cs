using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Tensors;

/// <summary>
/// Balanced initialization for deep linear nets (Arora et al. 2018): with a random end-to-end
/// matrix A = U S V^T of rank r = min widths, W_1 = Q_1 S^{1/L} V^T, W_k = Q_k S^{1/L} Q_{k-1}^T,
/// W_L = U S^{1/L} Q_{L-1}^T with Q_k having orthonormal columns; then
/// W_{k+1}^T W_{k+1} = W_k W_k^T = Q_k S^{2/L} Q_k^T for every k.
/// </summary>
public static class BalancedInit
{
    /// <summary>Applies balanced init to the weights of <paramref name="model"/>; <paramref name="scale"/> sets the scale of A's singular values (each layer gets scale^{1/L}).</summary>
    public static void Apply<T>(Sequential<T> model, Rng rng, double scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ws = model.Weights;
        int L = ws.Count;
        if (L == 0) return;
        foreach (var w in ws)
            if (w.Parameter.Shape.Length != 2) throw new ArgumentException($"Balanced init needs dense layers; parameter '{w.Name}' has shape {Tensor<T>.ShapeString(w.Parameter.Shape)}.");
        int r = int.MaxValue;
        int[] widths = new int[L + 1];
        widths[0] = ws[0].Parameter.Shape[1];
        for (int k = 0; k < L; k++) widths[k + 1] = ws[k].Parameter.Shape[0];
        foreach (int w in widths) r = Math.Min(r, w);
        // Singular values: Gaussian-matrix-like magnitudes, scaled; per layer s^{1/L}.
        var s = new double[r];
        for (int i = 0; i < r; i++) s[i] = scale * Math.Abs(rng.NextNormal() + 1.0) + 1e-3 * scale;
        // Q_k: widths[k] x r with orthonormal columns, for k = 0..L (Q_0 = V, Q_L = U).
        var q = new double[L + 1][,];
        for (int k = 0; k <= L; k++) q[k] = OrthogonalInit.Matrix(widths[k], r, rng);
        for (int k = 0; k < L; k++)
        {
            var span = ws[k].Parameter.Value.Span;
            int rows = widths[k + 1], cols = widths[k];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                {
                    double v = 0;
                    for (int t = 0; t < r; t++) v += q[k + 1][i, t] * Math.Pow(s[t], 1.0 / L) * q[k][j, t];
                    span[i * cols + j] = T.CreateChecked(v);
                }
        }
    }
}
