using System.Globalization;

namespace Gradscope.Claims;

using Gradscope.Training;

/// <summary>
/// The members of a sweep built from one predeclared train config: the same run with another hidden width,
/// channel count or training-set size. Each returns a new config; the original is not changed.
/// </summary>
public static class ConfigVariants
{
    /// <summary>The MLP config with every hidden width set to <paramref name="width"/> (input and output widths kept).</summary>
    /// <exception cref="InvalidDataException">The config does not use the MLP shorthand or has no hidden layer.</exception>
    public static TrainConfig WithHiddenWidth(TrainConfig c, int width)
    {
        if (c.Model.Mlp is not { } mlp || mlp.Widths.Length < 3)
            throw new InvalidDataException($"{c.Source}: a width sweep needs model.mlp.widths with at least one hidden layer.");
        var w = (int[])mlp.Widths.Clone();
        for (int i = 1; i < w.Length - 1; i++) w[i] = width;
        return c with { Model = c.Model with { Mlp = mlp with { Widths = w } } };
    }

    /// <summary>The inline-layer config with parameter <paramref name="key"/> of every layer of kind <paramref name="kind"/> set to <paramref name="value"/>.</summary>
    /// <exception cref="InvalidDataException">The config has no inline layer of that kind.</exception>
    public static TrainConfig WithLayerParameter(TrainConfig c, string kind, string key, int value)
    {
        if (c.Model.Layers is not { } layers || !layers.Any(l => l.Kind == kind))
            throw new InvalidDataException($"{c.Source}: the sweep changes '{key}' of {kind} layers, but model.layers has none.");
        var changed = layers.Select(l =>
        {
            if (l.Kind != kind) return l;
            var p = new Dictionary<string, string>(l.Params) { [key] = value.ToString(CultureInfo.InvariantCulture) };
            return new LayerConfig(l.Kind, p);
        }).ToList();
        return c with { Model = c.Model with { Layers = changed } };
    }

    /// <summary>The config with parameter <paramref name="key"/> of the training-data generator set to <paramref name="value"/> (e.g. n).</summary>
    public static TrainConfig WithTrainDataParameter(TrainConfig c, string key, int value)
    {
        var p = new Dictionary<string, string>(c.Data.Train.Params) { [key] = value.ToString(CultureInfo.InvariantCulture) };
        return c with { Data = c.Data with { Train = c.Data.Train with { Params = p } } };
    }

    /// <summary>The config with label noise <paramref name="fraction"/> (docs/config.md data.label_noise: that fraction of training labels replaced by another random class).</summary>
    /// <exception cref="InvalidDataException">The fraction lies outside [0, 1].</exception>
    public static TrainConfig WithLabelNoise(TrainConfig c, double fraction) =>
        fraction is >= 0 and <= 1
            ? c with { Data = c.Data with { LabelNoise = fraction } }
            : throw new InvalidDataException($"{c.Source}: label noise must lie in [0, 1], got {fraction}.");
}
