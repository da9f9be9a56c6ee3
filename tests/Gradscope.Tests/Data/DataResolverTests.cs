using Gradscope.Data;

namespace Gradscope.Tests.Data;

/// <summary>Config names and parameters to datasets.</summary>
public class DataResolverTests
{
    private static readonly Dictionary<string, string> None = [];

    [Fact]
    public void RegistryNamesLoadWithOptionalScale()
    {
        var iris = DataResolver.Resolve("iris", None, false, 1)!;
        Assert.Equal(150, iris.N);
        var scaled = DataResolver.Resolve("optdigits-test", new Dictionary<string, string> { ["scale"] = "0.0625" }, true, 1)!;
        Assert.Equal(1.0, scaled.X.Max());
        Assert.Null(DataResolver.Resolve("no-such-set", None, false, 1));
    }

    [Fact]
    public void PerClassKeepsThatManySamplesOfEveryClassFromTheSet()
    {
        var full = DataResolver.Resolve("digits", None, false, 1)!;
        var sub = DataResolver.Resolve("digits", new Dictionary<string, string> { ["per_class"] = "7" }, false, 1)!;
        Assert.Equal(70, sub.N);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(7, sub.Y.Count(y => y == c)));
        // every kept sample is a row of the full set with the same label
        var rows = Enumerable.Range(0, full.N).Select(i => (string.Join(",", full.Row(i).ToArray()), full.Y[i])).ToHashSet();
        Assert.All(Enumerable.Range(0, sub.N), i => Assert.Contains((string.Join(",", sub.Row(i).ToArray()), sub.Y[i]), rows));
        Assert.Throws<ArgumentException>(() => DataResolver.Resolve("iris", new Dictionary<string, string> { ["per_class"] = "51" }, false, 1));
        Assert.Throws<ArgumentException>(() => DataResolver.Resolve("iris", new Dictionary<string, string> { ["per_class"] = "0" }, false, 1));
    }

    [Fact]
    public void GeneratedTrainAndTestShareTheStructureButNotTheSamples()
    {
        var p = new Dictionary<string, string> { ["n"] = "60", ["d"] = "4", ["gamma"] = "0.25", ["seed"] = "17" };
        var train = DataResolver.Resolve("separable_svm", p, false, 1)!;
        var test = DataResolver.Resolve("separable_svm", p, true, 1)!;
        Assert.NotEqual(train.X, test.X);
        var u = SyntheticSeparable.Generate(2, 4, 0.25, 17).U; // u depends on the seed only
        foreach (var d in new[] { train, test })
            for (int i = 0; i < d.N; i++)
            {
                double m = 0; var r = d.Row(i);
                for (int j = 0; j < 4; j++) m += u[j] * r[j];
                Assert.True((d.Y[i] == 1 ? m : -m) >= 0.25 - 1e-12);
            }
        var teacher = DataResolver.Resolve("relu_teacher", new Dictionary<string, string> { ["n"] = "30", ["d"] = "5", ["hidden"] = "[6, 6]", ["classes"] = "3" }, false, 4)!;
        Assert.Equal(3, teacher.Classes);
        var comp = DataResolver.Resolve("compositional", new Dictionary<string, string> { ["n"] = "40", ["depth"] = "2", ["node"] = "polynomial", ["rule"] = "quantile", ["classes"] = "4" }, false, 4)!;
        Assert.All(Enumerable.Range(0, 4), c => Assert.Equal(10, comp.Y.Count(y => y == c)));
    }

    [Fact]
    public void BadParametersAreNamed()
    {
        Assert.Contains("'nn'", Assert.Throws<ArgumentException>(() => DataResolver.Resolve("separable_svm", new Dictionary<string, string> { ["nn"] = "3" }, false, 1)).Message);
        Assert.Contains("parameter 'n'", Assert.Throws<ArgumentException>(() => DataResolver.Resolve("relu_teacher", new Dictionary<string, string> { ["n"] = "-3" }, false, 1)).Message);
        Assert.Contains("parameter 'node'", Assert.Throws<ArgumentException>(() => DataResolver.Resolve("compositional", new Dictionary<string, string> { ["node"] = "sin" }, false, 1)).Message);
        Assert.Contains("'bogus'", Assert.Throws<ArgumentException>(() => DataResolver.Resolve("wine", new Dictionary<string, string> { ["bogus"] = "1" }, false, 1)).Message);
    }

    [Fact]
    public void CliPlugsTheResolverIntoTheTrainer()
    {
        Gradscope.Cli.DataCommand.PlugIntoTrainer();
        var r = Gradscope.Training.TrainerData.Resolver!;
        Assert.Equal(178, r(new Gradscope.Training.DataSource("wine"), false, 3)!.N);
    }
}
