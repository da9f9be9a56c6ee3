using System.Numerics;

namespace Gradscope.Measures.PacBayes;

using Gradscope.Nn;

/// <summary>One dense layer of a dense/ReLU net: sizes, offsets of W (out x in, row-major) and b in the flat parameter vector (-1: no bias), and whether a ReLU follows.</summary>
public readonly record struct MlpLayer(int In, int Out, int WeightOffset, int BiasOffset, bool ReluAfter);

/// <summary>The dense layers of a net of Dense, ReLU, Identity and Flatten layers, in the layout of <see cref="Sequential{T}.Flat"/>.</summary>
public sealed class MlpLayout
{
    private MlpLayout(MlpLayer[] layers, int parameters) { Layers = layers; ParameterCount = parameters; }

    /// <summary>The dense layers in order.</summary>
    public IReadOnlyList<MlpLayer> Layers { get; }
    /// <summary>Length of the flat parameter vector.</summary>
    public int ParameterCount { get; }
    /// <summary>Input features of the first layer.</summary>
    public int Inputs => Layers[0].In;
    /// <summary>Outputs of the last layer.</summary>
    public int Outputs => Layers[^1].Out;

    /// <summary>Reads the layout of <paramref name="model"/>; throws NotSupportedException for any other layer kind or a ReLU not after a dense layer.</summary>
    public static MlpLayout Of<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layers = new List<MlpLayer>();
        for (int li = 0; li < model.Layers.Count; li++)
        {
            switch (model.Layers[li])
            {
                case Dense<T> d:
                    var named = model.NamedParameters.Where(p => p.LayerIndex == li).ToArray();
                    var wp = named.First(p => p.Parameter.Name == "weight");
                    var bp = named.FirstOrDefault(p => p.Parameter.Name == "bias");
                    if (layers.Count > 0 && layers[^1].Out != d.In)
                        throw new NotSupportedException($"PAC-Bayes dense net: layer {li} takes {d.In} inputs, the layer before it gives {layers[^1].Out}.");
                    layers.Add(new MlpLayer(d.In, d.Out, wp.Offset, bp?.Offset ?? -1, false));
                    break;
                case Relu<T>:
                    if (layers.Count == 0 || layers[^1].ReluAfter) throw new NotSupportedException("PAC-Bayes dense net: a ReLU must follow a dense layer.");
                    layers[^1] = layers[^1] with { ReluAfter = true };
                    break;
                case Identity<T> or Flatten<T>:
                    break;
                default:
                    throw new NotSupportedException($"PAC-Bayes dense net: the posterior optimization and the per-example sampler handle dense/ReLU nets; found layer '{model.Layers[li].Kind}'.");
            }
        }
        if (layers.Count == 0) throw new NotSupportedException("PAC-Bayes dense net: the model has no dense layer.");
        return new MlpLayout([.. layers], model.ParameterCount);
    }
}
