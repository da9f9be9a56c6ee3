namespace Gradscope.Claims;

using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Nn;

/// <summary>
/// The margin quantities of a trained bias-free network on a dataset (THEORY.md section 3): raw margins m_i,
/// the spectral complexity R, ||X||_F, and the spectrally-normalized margins m_i / (R ||X||_F / n).
/// </summary>
public sealed record NetMargins(double[] Raw, double SpectralComplexity, double InputFrobenius, double[] Normalized)
{
    /// <summary>Measures <paramref name="model"/> on <paramref name="data"/> (spectral norms by full SVD).</summary>
    public static NetMargins Of(Sequential<double> model, Dataset data)
    {
        if (!model.IsHomogeneous) throw new ArgumentException("NetMargins: the spectral complexity needs a homogeneous (bias-free ReLU) network.");
        var raw = Margins.Raw(model, data);
        double r = Measures.SpectralComplexity.Of(WeightMatrix.Of(model), fullSvd: true);
        double xf = Margins.InputFrobenius(data);
        return new NetMargins(raw, r, xf, Margins.SpectrallyNormalized(raw, r, xf));
    }
}
