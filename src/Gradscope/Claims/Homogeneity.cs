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
    /// <summary>
    /// max_i |f(x_i; 2 theta) - 2^L f(x_i; theta)| / max_i |2^L f(x_i; theta)| over <paramref name="data"/>, L = the number of
    /// weight layers; +infinity when <see cref="NotAllowed"/> refuses the model (dropout: the hypothesis then fails).
    /// </summary>
    public static double Error(Sequential<double> model, Dataset data)
    {
        if (NotAllowed(model) is not null) return double.PositiveInfinity;
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

    /// <summary>
    /// Why the model cannot stand for plain GD on a homogeneous net, or null: a dropout layer with p &gt; 0 makes every
    /// training step use a random sub-network (the theorems of THEORY.md sections 4-5 are about deterministic GD/flow on one
    /// fixed homogeneous net), even though the evaluated network is homogeneous.
    /// </summary>
    public static string? NotAllowed<T>(Sequential<T> model) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var layers = Enumerable.Range(0, model.Layers.Count).Where(i => model.Layers[i].IsStochastic).ToList();
        return layers.Count == 0 ? null
            : $"layer {string.Join(", ", layers)} ({string.Join(", ", layers.Select(i => model.Layers[i].Kind))}) makes training stochastic; dropout is not allowed where a claim needs plain GD on a homogeneous net";
    }
}
