using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Tensors;

/// <summary>Weight initialization schemes. fan_in is the number of inputs of one output unit (in x kernel size for convs).</summary>
public enum InitScheme
{
    /// <summary>He/Kaiming normal: N(0, 2 / fan_in).</summary>
    He,
    /// <summary>LeCun normal: N(0, 1 / fan_in).</summary>
    LeCun,
    /// <summary>N(0, scale^2) with the given scale.</summary>
    Gaussian,
    /// <summary>PyTorch's nn.Linear/nn.Conv2d default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).</summary>
    PyTorchDefault,
    /// <summary>A random matrix with orthonormal rows or columns (QR of a Gaussian), times gain.</summary>
    Orthogonal,
    /// <summary>Balanced deep linear init: W_{k+1}^T W_{k+1} = W_k W_k^T for every k.</summary>
    Balanced,
}

/// <summary>Initializes a model's weights. Biases start at 0 (PyTorchDefault: uniform like the weights).</summary>
public static class Init
{
    /// <summary>
    /// Initializes every weight of <paramref name="model"/> with <paramref name="scheme"/>, then multiplies
    /// each by <paramref name="scale"/> (the init-scale multiplier: small = rich regime, large = lazy).
    /// For <see cref="InitScheme.Gaussian"/> the std is <paramref name="gaussianStd"/>.
    /// </summary>
    public static void Apply<T>(Sequential<T> model, InitScheme scheme, Rng rng, double scale = 1.0, double gaussianStd = 1.0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (scheme == InitScheme.Balanced) { BalancedInit.Apply(model, rng, scale); return; }
        foreach (var np in model.NamedParameters)
        {
            var p = np.Parameter;
            var layer = model.Layers[np.LayerIndex];
            int fanIn = layer.FanIn;
            var span = p.Value.Span;
            if (layer.IsNormalization)
            {
                // batch norm affine parameters start as in PyTorch: weight 1, bias 0
                span.Fill(p.Name == "weight" ? T.One : T.Zero);
                continue;
            }
            if (p.Name != "weight")
            {
                if (scheme == InitScheme.PyTorchDefault)
                {
                    int layerFanIn = FanInOfLayer(model, np.LayerIndex);
                    double bound = 1.0 / Math.Sqrt(layerFanIn);
                    for (int i = 0; i < span.Length; i++) span[i] = T.CreateChecked((2 * rng.NextDouble() - 1) * bound);
                }
                else span.Clear();
                continue;
            }
            switch (scheme)
            {
                case InitScheme.He: FillNormal(span, rng, Math.Sqrt(2.0 / fanIn) * scale); break;
                case InitScheme.LeCun: FillNormal(span, rng, Math.Sqrt(1.0 / fanIn) * scale); break;
                case InitScheme.Gaussian: FillNormal(span, rng, gaussianStd * scale); break;
                case InitScheme.PyTorchDefault:
                    {
                        double bound = scale / Math.Sqrt(fanIn);
                        for (int i = 0; i < span.Length; i++) span[i] = T.CreateChecked((2 * rng.NextDouble() - 1) * bound);
                        break;
                    }
                case InitScheme.Orthogonal: OrthogonalInit.Fill(p.Value, rng, scale); break;
                default: throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown init scheme.");
            }
        }
    }

    private static int FanInOfLayer<T>(Sequential<T> model, int layer) where T : unmanaged, IFloatingPointIeee754<T>
        => model.Layers[layer].FanIn;

    /// <summary>Fills with N(0, std^2) draws.</summary>
    public static void FillNormal<T>(Span<T> span, Rng rng, double std) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < span.Length; i++) span[i] = T.CreateChecked(rng.NextNormal() * std);
    }
}
