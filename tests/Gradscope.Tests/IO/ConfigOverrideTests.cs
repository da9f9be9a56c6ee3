using Gradscope.IO;
using Gradscope.Tests.Training.Trainer;
using Gradscope.Training;

namespace Gradscope.Tests.IO;

/// <summary>key=value overrides of a training config: parsing, applying, and errors named like lines of the file.</summary>
public class ConfigOverrideTests
{
    private static TrainConfig Read(params string[] overrides) =>
        TrainConfigYaml.Parse(TrainerTestConfigs.YamlTiny, "tiny.yaml", overrides.Select(ConfigOverride.Parse).ToList());

    private static string Fails(params string[] overrides) => Assert.Throws<TrainConfigException>(() => Read(overrides)).Message;

    [Fact]
    public void OverridesSetValuesAddKeysAndIndexLists()
    {
        var c = Read("algorithm.eta=0.05", "stop.steps=1000", "model.mlp.widths=[4, 64, 1]", "algorithm.weight_decay=1e-3", "seed=9", "data.train.n=50");
        Assert.Equal(0.05, c.Algorithm.Eta);
        Assert.Equal(1000, c.Stop.Steps);
        Assert.Equal([4, 64, 1], c.Model.Mlp!.Widths);
        Assert.Equal(1e-3, c.Algorithm.WeightDecay); // absent from the file: added
        Assert.Equal(9UL, c.Seed);
        Assert.Equal("50", c.Data.Train.Params["n"]);
        Assert.Equal(8, c.Algorithm.BatchSize); // untouched keys keep the file's values
        // a later override of the same key wins
        Assert.Equal(0.3, Read("algorithm.eta=0.2", "algorithm.eta=0.3").Algorithm.Eta);
        // a numeric segment indexes a list
        var layers = TrainConfigYaml.Parse("""
            model:
              input: [4]
              layers: [{type: dense, out: 8}, relu, {type: dense, out: 1}]
            data: {train: {name: separable, n: 30, d: 4}}
            algorithm: {name: gd}
            stop: {steps: 5}
            """, "l.yaml", [ConfigOverride.Parse("model.layers.0.out=64")]);
        Assert.Equal("64", layers.Model.Layers![0].Params["out"]);
        Assert.Equal("1", layers.Model.Layers![2].Params["out"]);
        // ~ removes an optional value: the record's default applies
        Assert.Equal(new TrainConfig().Algorithm.BatchSize, Read("algorithm.batch_size=~").Algorithm.BatchSize);
    }

    [Fact]
    public void UnknownKeysAndWrongTypesAreNamedByTheOverride()
    {
        Assert.Equal("override stop.stepz=10: stop.stepz: unknown key 'stepz' in section stop (known: check_every, gamma, loss, margin, steps, time, train_acc)", Fails("stop.stepz=10"));
        Assert.Equal("override algorithm.eta=fast: algorithm.eta: must be a number, got 'fast'", Fails("algorithm.eta=fast"));
        Assert.Equal("override algorithm.eta=-1: algorithm.eta: must be > 0, got -1", Fails("algorithm.eta=-1"));
        Assert.Equal("override loss.kind=l2: loss.kind: must be one of exponential, logistic, cross_entropy, square, hinge, got 'l2'", Fails("loss.kind=l2"));
        Assert.StartsWith("override optimizer.lr=0.1: optimizer: unknown key 'optimizer' at the top level (known: ", Fails("optimizer.lr=0.1"));
        Assert.Equal("override model.mlp.widths=[4, x, 1]: model.mlp.widths[1]: must be an integer, got 'x'", Fails("model.mlp.widths=[4, x, 1]"));
        Assert.Equal("override stop.steps.max=5: stop.steps.max: 'stop.steps' is the value '60', which has no key 'max'", Fails("stop.steps.max=5"));
        Assert.Equal("override model.mlp.widths.7=3: model.mlp.widths.7: index 7 is past the end of the list (3 items)", Fails("model.mlp.widths.7=3"));
        Assert.StartsWith("override model.mlp.widths.first=3: model.mlp.widths.first: 'model.mlp.widths' is a list", Fails("model.mlp.widths.first=3"));
        // algorithm-specific keys are judged by the algorithm, still named by the override
        var extra = Read("algorithm.rtol=1e-6");
        var e = Assert.Throws<TrainConfigException>(() => new Trainer<double>(extra));
        Assert.StartsWith("override algorithm.rtol=1e-6: algorithm.rtol: unknown key 'rtol' in section algorithm for algorithm 'sgd'", e.Message);
    }

    [Theory]
    [InlineData("algorithm.eta", "expected key=value")]
    [InlineData("=0.1", "the key before '=' is empty")]
    [InlineData("algorithm..eta=0.1", "has an empty part")]
    [InlineData("algorithm.eta=", "no value after '='")]
    public void MalformedOverridesAreRefusedWithTheArgument(string text, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => ConfigOverride.Parse(text));
        Assert.StartsWith($"override '{text}': ", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void AValueThatIsNotYamlIsNamed()
    {
        var e = Assert.Throws<TrainConfigException>(() => Read("model.mlp.widths=[4, 6"));
        Assert.StartsWith("override model.mlp.widths=[4, 6: model.mlp.widths: the value is not valid YAML", e.Message);
    }

    /// <summary>
    /// Seeded fuzz: random dotted keys (real ones, misspelt ones, list indices, deep paths) with random values (numbers,
    /// words, lists, mappings, nulls, YAML fragments) give either a valid config or a TrainConfigException whose message
    /// names the override; never another exception.
    /// </summary>
    [Fact]
    public void RandomOverridesGiveAConfigOrAClearError()
    {
        string[] keys =
        [
            "seed", "dtype", "threads", "model", "model.mlp", "model.mlp.widths", "model.mlp.widths.0", "model.mlp.widths.2", "model.mlp.activation",
            "model.init.scheme", "model.init.scale", "model.layers", "model.layers.0", "data.train", "data.train.n", "data.train.d", "data.test",
            "data.split.test", "data.label_noise", "data.standardize", "loss.kind", "loss.target_scale", "algorithm.name", "algorithm.eta",
            "algorithm.batch_size", "algorithm.weight_decay", "algorithm.rtol", "schedule.kind", "schedule.every", "stop.steps", "stop.time",
            "stop.loss", "probes.every", "probes.log_spaced", "probes.log_spaced.per_decade", "etaa", "algorithm.etaa", "stop.steps.x", "a.b.c.d",
        ];
        string[] values =
        [
            "0", "1", "-1", "0.5", "1e9", "1e400", "nan", ".inf", "abc", "true", "no", "~", "[]", "[1, 2]", "[4, 6, 1]", "[a, b]", "{}", "{x: 1}",
            "{name: separable, n: 10, d: 4}", "relu", "gd", "sgd", "he", "cosine", "\"quoted\"", "[unclosed", "{a: [1, {b: 2}]}", "'", "9999999999999999999",
            "- item", "a: b", "*alias", "&anchor x", "!!binary abc",
        ];
        var rng = new Random(20261207);
        int valid = 0, errors = 0;
        for (int trial = 0; trial < 1500; trial++)
        {
            int n = rng.Next(1, 4);
            var texts = Enumerable.Range(0, n).Select(_ => $"{keys[rng.Next(keys.Length)]}={values[rng.Next(values.Length)]}").ToArray();
            try
            {
                var overrides = texts.Select(ConfigOverride.Parse).ToList();
                var c = TrainConfigYaml.Parse(TrainerTestConfigs.YamlTiny, "tiny.yaml", overrides);
                c.Validate();
                valid++;
            }
            catch (TrainConfigException e)
            {
                errors++;
                Assert.DoesNotContain("   at ", e.Message);
                // the error names one of the overrides, or the file when the overrides made an earlier line invalid
                Assert.True(texts.Any(t => e.Message.Contains($"override {t}", StringComparison.Ordinal)) || e.Message.StartsWith("tiny.yaml", StringComparison.Ordinal),
                    $"[{string.Join(" ", texts)}] -> {e.Message}");
            }
        }
        Assert.True(valid > 50 && errors > 50, $"{valid} valid, {errors} errors");
    }
}
