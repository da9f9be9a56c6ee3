namespace Gradscope.Claims;

using Gradscope.Data;
using Gradscope.Nn;

/// <summary>
/// A numerical certificate of positive homogeneity in the weights (THEORY.md section 1): a bias-free ReLU or linear net with
/// L weight layers satisfies f(x; 2 theta) = 2^L f(x; theta). Scaling by 2 and back is exact in binary floating point, so
/// the model is left unchanged.
/// </summary>
public static class Homogeneity
{
    /// <summary>max_i |f(x_i; 2 theta) - 2^L f(x_i; theta)| / max_i |2^L f(x_i; theta)| over <paramref name="data"/>, L = the number of weight layers.</summary>
    public static double Error(Sequential<double> model, Dataset data)
    {
        int depth = model.Weights.Count;
        var f1 = Measures.Margins.Raw(model, data);
        System.Numerics.Tensors.TensorPrimitives.Multiply(model.Flat, 2.0, model.Flat);
        double[] f2;
        try { f2 = Measures.Margins.Raw(model, data); }
        finally { System.Numerics.Tensors.TensorPrimitives.Multiply(model.Flat, 0.5, model.Flat); }
        double scale = Math.Pow(2, depth), num = 0, den = 0;
        for (int i = 0; i < f1.Length; i++) { num = Math.Max(num, Math.Abs(f2[i] - scale * f1[i])); den = Math.Max(den, Math.Abs(scale * f1[i])); }
        return num / den;
    }
}
