using Gradscope.Data;
using Gradscope.Sweeps;
using Gradscope.Training;

namespace Gradscope.Tests.Sweeps;

/// <summary>The sweep files shipped in the repository's <c>sweeps/</c> folder expand into valid train configs.</summary>
public class RepositorySweepTests
{
    [Fact]
    public void Optdigits100ExpandsToOver100ValidConfigsVaryingEveryHyperparameter()
    {
        var root = Path.GetDirectoryName(DataPaths.DataDirectory.TrimEnd('/'))!;
        var sweep = SweepFile.Load(Path.Combine(root, "sweeps", "optdigits-100.yaml"));
        var points = SweepExpander.Expand(sweep);
        Assert.True(points.Count >= 100, $"{points.Count} points");
        Assert.Equal(points.Count, points.Select(p => p.Hash).Distinct().Count());
        var configs = points.Select(p => TrainConfigYaml.Parse(p.ConfigYaml, $"point {p.Index}")).ToList();
        // Read back from the parsed configs, not from the sweep's own labels.
        var widths = configs.Select(c => c.Model.Mlp!.Widths).ToList();
        Assert.True(widths.Select(w => w.Length).Distinct().Count() >= 2, "depth does not vary");
        Assert.True(widths.Select(w => w[1]).Distinct().Count() >= 2, "width does not vary");
        Assert.All(widths, w => { Assert.Equal(64, w[0]); Assert.Equal(10, w[^1]); }); // optdigits: 64 features, 10 classes
        Assert.True(configs.Select(c => c.Algorithm.BatchSize).Distinct().Count() >= 2, "batch size does not vary");
        Assert.True(configs.Select(c => c.Algorithm.Eta).Distinct().Count() >= 2, "step does not vary");
        Assert.True(configs.Select(c => c.Algorithm.WeightDecay).Distinct().Count() >= 2, "weight decay does not vary");
        Assert.True(configs.Select(c => c.Data.LabelNoise).Distinct().Count() >= 2, "label noise does not vary");
        Assert.True(configs.Select(c => c.Seed).Distinct().Count() >= 2, "no replicates");
    }
}
