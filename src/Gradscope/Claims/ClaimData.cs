using YamlDotNet.RepresentationModel;

namespace Gradscope.Claims;

using Gradscope.Data;

/// <summary>
/// A dataset named by a claim parameter that is not a network training run (e.g. AdaBoost's data):
/// <c>{name: dataset-or-generator, key: value, ...}</c> resolved as <c>data.train</c> of a training
/// config would be (registered datasets and the data library's generators), with the optional
/// transform key <c>binary: [a, b]</c> (class a -> y = -1, class b -> y = +1).
/// </summary>
public static class ClaimData
{
    /// <summary>Loads the dataset of parameter <paramref name="key"/>; errors name the definition and key.</summary>
    public static Dataset Load(ClaimContext ctx, string key)
    {
        string where = $"{ctx.Definition.Source}: {ctx.Scale}.{key}";
        if (!ctx.Parameters.Map.Children.TryGetValue(new YamlScalarNode(key), out var node) || node is not YamlMappingNode map)
            throw new InvalidDataException($"{where}: expected a mapping {{name: dataset, ...}}.");
        var values = new Dictionary<string, string>();
        string? name = null;
        int[]? binary = null;
        foreach (var (k, v) in map.Children)
        {
            string kk = ((YamlScalarNode)k).Value!;
            if (kk == "binary")
            {
                binary = v is YamlSequenceNode seq && seq.Children.Count == 2
                    ? seq.Children.Select(c => int.Parse(((YamlScalarNode)c).Value!, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
                    : throw new InvalidDataException($"{where}:{v.Start.Line}: binary must be a list [a, b].");
                continue;
            }
            string value = v is YamlScalarNode s && s.Value is { } sv ? sv : throw new InvalidDataException($"{where}:{v.Start.Line}: '{kk}' must be a scalar.");
            if (kk == "name") name = value; else values[kk] = value;
        }
        if (name is null) throw new InvalidDataException($"{where}: missing 'name'.");
        Dataset data;
        try
        {
            data = DataResolver.Resolve(name, values, isTest: false, runSeed: ctx.SeedFor(key))
                ?? throw new InvalidDataException($"{where}: '{name}' is neither a registered dataset nor a generator (generators: {string.Join(", ", DataResolver.Generators)}).");
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{where}: {e.Message}"); }
        return binary is null ? data : Transforms.BinaryTask(data, binary[0], binary[1]);
    }
}
