using System.Numerics;
using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace Gradscope.Measures;

using Gradscope.Data;
using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>NC1..NC4 of one feature layer; NC3 is null when no classifier matrix was given, NC4 when no predictions were.</summary>
public sealed record NeuralCollapseResult(double NC1, double NC2Equinorm, double NC2Equiangularity, double? NC3, double? NC4);

/// <summary>
/// Neural collapse (THEORY.md section 5) on features h_i (n, p) with class means mu_c and global
/// mean mu_G (over all points), M = [mu_c - mu_G]_c (p x C):
/// NC1 = trace(Sigma_W pinv(Sigma_B)) / C with Sigma_W = (1/n) sum_i (h_i - mu_{y_i})(h_i - mu_{y_i})^T,
/// Sigma_B = (1/C) M M^T (pinv drops eigenvalues below 1e-10 of the largest);
/// NC2 equinorm = std_c ||mu_c - mu_G|| / mean_c ||mu_c - mu_G|| (std divides by C);
/// NC2 equiangularity = mean_{c != c'} |cos(mu_c - mu_G, mu_c' - mu_G) + 1/(C - 1)|;
/// NC3 = || W_L^T / ||W_L||_F - M / ||M||_F ||_F^2 with W_L (C x p);
/// NC4 = fraction of points whose nearest-class-mean label differs from the network's prediction.
/// </summary>
public static class NeuralCollapse
{
    /// <summary>
    /// NC1..NC4 of <paramref name="model"/> on <paramref name="data"/> at the input of layer <paramref name="layer"/>
    /// (default: the last layer, whose weight is W_L; NC3 only for that layer). Throws for binary (1-output) nets.
    /// </summary>
    public static NeuralCollapseResult Of<T>(Sequential<T> model, Dataset data, int? layer = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (model.Outputs < 2) throw new ArgumentException("NeuralCollapse: needs a multiclass net (C >= 2 outputs); a binary net has 1 output.");
        var weights = model.Weights;
        var last = weights[^1];
        int stop = layer ?? last.LayerIndex;
        var h = ModelEval.Features(model, data, stop);
        var outputs = ModelEval.Outputs(model, data);
        var pred = ModelEval.Predictions(outputs, data.N);
        double[]? wl = null;
        if (stop == last.LayerIndex && last.Value.Rank == 2)
            wl = WeightMatrix.Of(model)[^1].Data;
        return Compute(h, data.Y, data.Classes, wl, pred);
    }

    /// <summary>
    /// NC1..NC4 from features (n, p) row-major, labels in [0, C), optional classifier W_L (C, p) row-major
    /// and optional predictions. Throws when a class is empty or shapes do not match.
    /// </summary>
    public static NeuralCollapseResult Compute(ReadOnlySpan<double> features, ReadOnlySpan<int> labels, int classes,
        double[]? classifier = null, ReadOnlySpan<int> predictions = default)
    {
        int n = labels.Length, c = classes;
        if (n == 0 || features.Length % n != 0) throw new ArgumentException($"NeuralCollapse: {features.Length} feature values for {n} labels.");
        if (c < 2) throw new ArgumentException($"NeuralCollapse: needs C >= 2 classes, got {c}.");
        int p = features.Length / n;
        var mu = new double[c * p]; var count = new int[c]; var muG = new double[p];
        for (int i = 0; i < n; i++)
        {
            int y = labels[i];
            if ((uint)y >= (uint)c) throw new ArgumentException($"NeuralCollapse: label {y} outside [0, {c}).");
            count[y]++;
            TensorPrimitives.Add(mu.AsSpan(y * p, p), features.Slice(i * p, p), mu.AsSpan(y * p, p));
        }
        for (int k = 0; k < c; k++)
        {
            if (count[k] == 0) throw new ArgumentException($"NeuralCollapse: class {k} has no samples.");
            // mu_G = sum_c (n_c / n) mu_c (the mean over all points).
            TensorPrimitives.MultiplyAdd(mu.AsSpan(k * p, p), 1.0 / n, muG, muG);
            TensorPrimitives.Divide(mu.AsSpan(k * p, p), count[k], mu.AsSpan(k * p, p));
        }
        // M (p x C): centred class means.
        var m = Matrix<double>.Build.Dense(p, c, (j, k) => mu[k * p + j] - muG[j]);

        // NC1: Sigma_B = (1/C) M M^T = U diag(s^2 / C) U^T, so pinv(Sigma_B) = U diag(C / s^2) U^T on kept directions,
        // and trace(Sigma_W pinv(Sigma_B)) = sum_k (C / s_k^2) u_k^T Sigma_W u_k, u_k^T Sigma_W u_k = (1/n) ||R u_k||^2.
        // U comes from the small C x C eigenproblem M^T M = V diag(s^2) V^T, u_k = M v_k / s_k.
        // NOTE: finite but huge features (1e308) overflow the means or M^T M to Inf/NaN, on which the eigen solver fails
        // (it indexes past its arrays); such a layer has no defined neural collapse, reported as an ArgumentException.
        var gram = m.TransposeThisAndMultiply(m);
        if (!TensorPrimitives.IsFiniteAll(features) || !gram.Enumerate().All(double.IsFinite))
            throw new ArgumentException("NeuralCollapse: the features or their class-mean Gram matrix are not finite (values beyond the double range).");
        var evd = gram.Evd(Symmetricity.Symmetric);
        var eigs = evd.EigenValues.Select(e => Math.Max(0, e.Real)).ToArray();
        double eigMax = eigs.Max() / c;
        var kept = Enumerable.Range(0, c).Where(k => eigs[k] / c > 1e-10 * eigMax && eigs[k] > 0).ToArray();
        double trace = 0;
        if (kept.Length > 0)
        {
            var u = new double[p * kept.Length];            // (p, k) row-major
            for (int t = 0; t < kept.Length; t++)
            {
                var col = m * evd.EigenVectors.Column(kept[t]) / Math.Sqrt(eigs[kept[t]]);
                for (int j = 0; j < p; j++) u[j * kept.Length + t] = col[j];
            }
            // R U = H U - (mu U)[y_i]: the residuals are never formed.
            int kk = kept.Length;
            var proj = new double[(long)n * kk];            // H U (n, k)
            Gemm.Multiply(false, false, n, kk, p, 1.0, features, p, u, kk, 0.0, proj, kk);
            var muProj = new double[c * kk];                // mu U (C, k)
            Gemm.Multiply(false, false, c, kk, p, 1.0, mu, p, u, kk, 0.0, muProj, kk);
            for (int t = 0; t < kk; t++)
            {
                double q = 0;
                for (int i = 0; i < n; i++) { double x = proj[i * kk + t] - muProj[labels[i] * kk + t]; q += x * x; }
                trace += q / n / (eigs[kept[t]] / c);
            }
        }
        double nc1 = trace / c;

        // NC2, on the centred means as rows of a (C, p) array (MathNet's Column() copied a vector per pair: 10 MB a probe).
        var centred = new double[c * p];
        for (int k = 0; k < c; k++) TensorPrimitives.Subtract(mu.AsSpan(k * p, p), muG, centred.AsSpan(k * p, p));
        var norms = new double[c];
        for (int k = 0; k < c; k++) norms[k] = TensorPrimitives.Norm<double>(centred.AsSpan(k * p, p));
        double mean = norms.Average();
        double var = norms.Sum(x => (x - mean) * (x - mean)) / c;
        double equinorm = Math.Sqrt(var) / mean;
        double angle = 0;
        for (int a = 0; a < c; a++)
            for (int b = 0; b < c; b++)
                if (a != b) angle += Math.Abs(TensorPrimitives.Dot<double>(centred.AsSpan(a * p, p), centred.AsSpan(b * p, p)) / (norms[a] * norms[b]) + 1.0 / (c - 1));
        angle /= c * (c - 1);

        // NC3
        double? nc3 = null;
        if (classifier is not null)
        {
            if (classifier.Length != c * p) throw new ArgumentException($"NeuralCollapse: classifier has {classifier.Length} values, expected C x p = {c} x {p}.");
            double wn = TensorPrimitives.Norm<double>(classifier), mn = TensorPrimitives.Norm<double>(centred);
            double d = 0;
            for (int k = 0; k < c; k++)
                for (int j = 0; j < p; j++) { double e = classifier[k * p + j] / wn - centred[k * p + j] / mn; d += e * e; }
            nc3 = d;
        }

        // NC4: nearest class mean by ||h - mu_c||^2 = ||h||^2 - 2 h.mu_c + ||mu_c||^2 (the ||h||^2 term is common).
        double? nc4 = null;
        if (!predictions.IsEmpty)
        {
            if (predictions.Length != n) throw new ArgumentException($"NeuralCollapse: {predictions.Length} predictions for {n} samples.");
            var dots = new double[(long)n * c];
            Gemm.Multiply(false, true, n, c, p, 1.0, features, p, mu, p, 0.0, dots, c);
            var muSq = new double[c];
            for (int k = 0; k < c; k++) muSq[k] = TensorPrimitives.Dot<double>(mu.AsSpan(k * p, p), mu.AsSpan(k * p, p));
            int diff = 0;
            for (int i = 0; i < n; i++)
            {
                int best = -1; double bd = double.PositiveInfinity;
                for (int k = 0; k < c; k++)
                {
                    double d = muSq[k] - 2 * dots[i * c + k];
                    if (d < bd) { bd = d; best = k; }
                }
                if (best != predictions[i]) diff++;
            }
            nc4 = (double)diff / n;
        }
        return new NeuralCollapseResult(nc1, equinorm, angle, nc3, nc4);
    }
}
