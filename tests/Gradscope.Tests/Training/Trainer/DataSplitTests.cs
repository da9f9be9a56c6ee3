using Gradscope.Data;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

/// <summary>
/// data.split and data_indices.json: held-out parts never overlap the training rows (every data source), the recorded rows
/// are the rows actually used (each sample compared with the source row loaded independently), and a train/test pair drawn
/// from one source without a split is refused with the fix.
/// </summary>
public class DataSplitTests
{
    private static TrainConfig Config(string data, ulong seed = 3) => TrainConfigYaml.Parse($$"""
        seed: {{seed}}
        model:
          mlp: {widths: [4, 3, 2], activation: relu}
        data: {{data}}
        algorithm: {name: gd, eta: 0.1}
        stop: {steps: 1}
        """, "config.yaml");

    private static LoadedData Load(TrainConfig c) => TrainerData.LoadAll(c, new Rng(c.Seed).Fork());

    /// <summary>Every sample of <paramref name="part"/> equals row Rows[k] of <paramref name="source"/> (features and label).</summary>
    private static void AssertRowsAreTheSourceRows(Dataset source, Dataset part, RowIndexSet rows)
    {
        Assert.Equal(part.N, rows.Rows.Length);
        Assert.Equal(source.N, rows.SourceRows);
        for (int k = 0; k < part.N; k++)
        {
            Assert.True(part.Row(k).SequenceEqual(source.Row(rows.Rows[k])), $"sample {k} of '{part.Name}' is not source row {rows.Rows[k]}");
            Assert.Equal(source.Y[rows.Rows[k]], part.Y[k]);
        }
    }

    private static void AssertDisjoint(params RowIndexSet?[] parts)
    {
        var seen = new HashSet<int>();
        foreach (var p in parts.OfType<RowIndexSet>())
            foreach (int r in p.Rows) Assert.True(seen.Add(r), $"row {r} of '{p.Source}' is in two parts");
    }

    /// <summary>Every registered dataset that is present, except mnist-train (60,000 images: its own test below loads it once).</summary>
    public static TheoryData<string> RegisteredNames() =>
        new(DataRegistry.Default().Entries.Where(e => e.IsPresent && e.Name != "mnist-train").Select(e => e.Name));

    [Theory]
    [MemberData(nameof(RegisteredNames))]
    public void HeldOutPartsOfARegisteredDatasetNeverOverlapItsTrainingRows(string name)
    {
        var source = DataRegistry.Default().Load(name);
        // Per-class counts within the smallest class, and (for the small sets) fractions.
        int smallest = Transforms.ByClass(source).Min(g => g.Length);
        var splits = new List<string> { $"{{train_per_class: {Math.Max(1, smallest / 3)}, test_per_class: {Math.Max(1, smallest / 4)}, validation_per_class: {Math.Max(1, smallest / 5)}}}" };
        if (source.N <= 5000) splits.Add("{test: 0.3, validation: 0.1}");
        foreach (var split in splits)
        {
            var l = Load(Config($"{{train: {name}, split: {split}}}"));
            AssertDisjoint(l.Indices.Train, l.Indices.Validation, l.Indices.Test);
            Assert.Equal(DataResolver.SourceName(name), l.Indices.Train.Source);
            AssertRowsAreTheSourceRows(source, l.Train, l.Indices.Train);
            AssertRowsAreTheSourceRows(source, l.Test!, l.Indices.Test!);
            AssertRowsAreTheSourceRows(source, l.Validation!, l.Indices.Validation!);
        }
    }

    /// <summary>
    /// mnist-train (installed by <c>gradscope data fetch mnist</c>, which scripts/test.sh runs): the parts are disjoint and
    /// every sample is its source row, compared with the raw IDX bytes (pixel / 255, label) read directly from the files.
    /// </summary>
    [Fact]
    public void HeldOutPartsOfMnistTrainNeverOverlapItsTrainingRows()
    {
        var entry = DataRegistry.Default().Find("mnist-train");
        Assert.True(entry.IsPresent, "mnist-train is not installed: run 'gradscope data fetch mnist' (scripts/test.sh does).");
        var l = Load(Config("{train: mnist-train, split: {train_per_class: 300, test_per_class: 200, validation_per_class: 100}}"));
        AssertDisjoint(l.Indices.Train, l.Indices.Validation, l.Indices.Test);
        var images = Idx.Read(entry.Files[0], Idx.ImagesMagic).Data;
        var labels = Idx.Read(entry.Files[1], Idx.LabelsMagic).Data;
        foreach (var (part, rows) in new[] { (l.Train, l.Indices.Train), (l.Test!, l.Indices.Test!), (l.Validation!, l.Indices.Validation!) })
        {
            Assert.Equal(60000, rows.SourceRows);
            for (int k = 0; k < part.N; k++)
            {
                int r = rows.Rows[k];
                Assert.Equal(labels[r], part.Y[k]);
                for (int j = 0; j < 784; j += 7) Assert.Equal(images[r * 784 + j] / 255.0, part.X[k * 784 + j], 1e-15);
            }
        }
        Assert.Equal([3000, 2000, 1000], new[] { l.Train.N, l.Test!.N, l.Validation!.N });
    }

    [Theory]
    [InlineData("{name: separable, n: 200, d: 4}")]
    [InlineData("{name: separable_svm, n: 120, d: 5}")]
    [InlineData("{name: relu_teacher, n: 150, d: 6, classes: 3}")]
    [InlineData("{name: compositional, n: 256, depth: 2}")]
    public void HeldOutPartsOfAGeneratorNeverOverlapItsTrainingRows(string generator)
    {
        var whole = Load(Config($"{{train: {generator}}}")).Train; // the generator's training stream, unsplit
        var l = Load(Config($"{{train: {generator}, split: {{test: 0.25, validation: 0.2}}}}"));
        AssertDisjoint(l.Indices.Train, l.Indices.Validation, l.Indices.Test);
        Assert.Equal(whole.N, l.Train.N + l.Test!.N + l.Validation!.N); // fractions: every row is in exactly one part
        AssertRowsAreTheSourceRows(whole, l.Train, l.Indices.Train);
        AssertRowsAreTheSourceRows(whole, l.Test, l.Indices.Test!);
        AssertRowsAreTheSourceRows(whole, l.Validation, l.Indices.Validation!);
        // Stratified: round(0.25 n_c) test samples of each class c.
        var classes = Transforms.ByClass(whole);
        var testPerClass = Transforms.ByClass(l.Test);
        for (int c = 0; c < classes.Length; c++)
            Assert.Equal((int)Math.Round(0.25 * classes[c].Length, MidpointRounding.AwayFromZero), testPerClass[c].Length);
    }

    [Fact]
    public void TheLeakageExampleIsAnErrorThatSaysHowToFixIt()
    {
        var e = Assert.Throws<TrainConfigException>(() =>
            Config("{train: {name: mnist-test, per_class: 200}, test: {name: mnist-test, per_class: 100}}"));
        Assert.StartsWith("config.yaml:", e.Message);
        Assert.Contains("data.test", e.Message);
        Assert.Contains("leakage", e.Message);
        Assert.Contains("split: {train_per_class: 200, test_per_class: 100}", e.Message);

        // The fix it suggests gives disjoint sets of exactly 200 and 100 images per class.
        var l = Load(Config("{train: {name: mnist-test}, split: {train_per_class: 200, test_per_class: 100}}"));
        AssertDisjoint(l.Indices.Train, l.Indices.Test);
        Assert.All(Transforms.ByClass(l.Train), g => Assert.Equal(200, g.Length));
        Assert.All(Transforms.ByClass(l.Test!), g => Assert.Equal(100, g.Length));
        AssertRowsAreTheSourceRows(DataRegistry.Default().Load("mnist-test"), l.Test!, l.Indices.Test!);
    }

    [Fact]
    public void SameSourceRules()
    {
        // digits is the optdigits test set under another name (data/README.md): one source.
        Assert.Contains("leakage", Assert.Throws<TrainConfigException>(() => Config("{train: digits, test: optdigits-test}")).Message);
        Assert.Contains("leakage", Assert.Throws<TrainConfigException>(() => Config("{train: iris, test: IRIS}")).Message);
        // Different datasets, and a generator's train and test streams (independent draws), are different sources.
        Config("{train: optdigits-train, test: optdigits-test}");
        var g = Load(Config("{train: {name: compositional, n: 64, depth: 2, seed: 11}, test: {name: compositional, n: 64, depth: 2, seed: 11}}"));
        Assert.NotEqual(g.Indices.Train.Source, g.Indices.Test!.Source);
        Assert.False(g.Train.X.SequenceEqual(g.Test!.X));
    }

    [Fact]
    public void SplitKeysAreChecked()
    {
        Assert.Contains("data.test: must be left out", Assert.Throws<TrainConfigException>(() => Config("{train: iris, test: wine, split: {test: 0.2}}")).Message);
        Assert.Contains("mixes fractions", Assert.Throws<TrainConfigException>(() => Config("{train: iris, split: {test: 0.2, test_per_class: 5}}")).Message);
        Assert.Contains("data.split.test: must be a fraction", Assert.Throws<TrainConfigException>(() => Config("{train: iris, split: {test: 1.5}}")).Message);
        Assert.Contains("leaving nothing to train on", Assert.Throws<TrainConfigException>(() => Config("{train: iris, split: {test: 0.5, validation: 0.5}}")).Message);
        Assert.Contains("needs the held-out part", Assert.Throws<TrainConfigException>(() => Config("{train: iris, split: {seed: 4}}")).Message);
        Assert.Contains("data.split.tset: unknown key 'tset' in section data.split", Assert.Throws<TrainConfigException>(() => Config("{train: iris, split: {tset: 0.2}}")).Message);
        // Iris has 50 per class: asking for 40 + 20 is impossible, and the error names data.split and the class.
        var e = Assert.Throws<TrainConfigException>(() => Load(Config("{train: iris, split: {test_per_class: 40, train_per_class: 20}}")));
        Assert.Contains("data.split", e.Message);
        Assert.Contains("class 0", e.Message);
    }

    [Fact]
    public void TheSplitIsSeededAndRoundTripsThroughTheConfigWriter()
    {
        var a = Load(Config("{train: wine, split: {test: 0.3}}"));
        var b = Load(Config("{train: wine, split: {test: 0.3}}"));
        var c = Load(Config("{train: wine, split: {test: 0.3, seed: 99}}"));
        Assert.Equal(a.Indices.Test!.Rows, b.Indices.Test!.Rows);
        Assert.NotEqual(a.Indices.Test.Rows, c.Indices.Test!.Rows);
        var cfg = Config("{train: wine, split: {test: 0.3, validation: 0.1, seed: 99, stratified: false}}");
        var again = TrainConfigYaml.Parse(TrainConfigWriter.ToYaml(cfg), "written.yaml");
        Assert.Equal(cfg.Data.Split, again.Data.Split);
    }

    [Fact]
    public void DataIndicesFileRecordsTheRowsExactly()
    {
        // Both encodings (ranges and bitmap) decode to the same rows, compared with a brute-force membership test.
        var rng = new Rng(5);
        foreach (var rows in new[] { Enumerable.Range(10, 500).ToArray(), Enumerable.Range(0, 3000).Where(_ => rng.NextInt(3) == 0).ToArray(), Array.Empty<int>() })
        {
            var set = new RowIndexSet("s", 3000, rows);
            var json = new DataIndices(set, null, set).ToJson();
            var back = DataIndices.FromJson(json);
            var member = new bool[3000];
            foreach (int r in back.Train.Rows) member[r] = true;
            for (int i = 0; i < 3000; i++) Assert.Equal(Array.IndexOf(rows, i) >= 0, member[i]);
            Assert.Equal(rows.Length, back.Test!.Rows.Length);
            Assert.Null(back.Validation);
        }
        Assert.Throws<InvalidDataException>(() => DataIndices.FromJson("""{"train": {"source": "s", "source_rows": 4, "ranges": [[0, 1]], "sha256": "00"}}"""));

        // A run writes data_indices.json with the rows it loaded.
        using var t = new Gradscope.Tests.Data.TempDir();
        var config = TrainConfigYaml.Parse("""
            seed: 2
            model:
              mlp: {widths: [4, 3, 3], activation: relu}
            data: {train: iris, split: {test: 0.2}, standardize: true}
            algorithm: {name: gd, eta: 0.1}
            stop: {steps: 2}
            """, "config.yaml");
        var trainer = new Trainer<double>(config);
        trainer.Run(new TrainerRunOptions { RunDirectory = t.Path });
        var written = DataIndices.FromJson(File.ReadAllText(Path.Combine(t.Path, DataIndices.FileName)));
        Assert.Equal(trainer.DataIndices.Train.Rows, written.Train.Rows);
        Assert.Equal(trainer.DataIndices.Test!.Rows, written.Test!.Rows);
        Assert.Equal(120, written.Train.Rows.Length);
        Assert.Equal(30, written.Test.Rows.Length);
        AssertDisjoint(written.Train, written.Test);
    }
}
