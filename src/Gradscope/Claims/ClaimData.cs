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
        var section = ctx.Parameters.Section(key);
        string where = $"{section.Origins.Of(section.Mapping)}: {section.Path}";
        int[]? binary = section.IntList("binary");
        if (binary is { Length: not 2 }) throw section.Error("binary", $"must be a list [a, b] of two classes, got {binary.Length} entries");
        string name = section.String("name") ?? throw section.Missing("name", "(a dataset or generator name)");
        var values = new Dictionary<string, string>();
        foreach (string k in section.UnusedKeys())
            values[k] = section.String(k) ?? "";
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
