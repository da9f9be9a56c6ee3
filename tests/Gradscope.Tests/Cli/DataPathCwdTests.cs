using System.Globalization;
using System.Text;
using System.Text.Json;
using Gradscope.Data;
using Gradscope.Tests.Training.Trainer;
using Gradscope.Training;

namespace Gradscope.Tests.Cli;

/// <summary>
/// Data file paths in a config are relative to the config file's directory and recorded absolute in the run's
/// config.yaml, so a run directory is measured, resumed and bounded from any working directory.
/// </summary>
public class DataPathCwdTests
{
    // Two Gaussian-ish blobs in 4 dimensions (class c centred at -1.5 or +1.5 on every feature), label last: DataFrame.to_csv's layout.
    private static string InvariantCsv(int n, int seed)
    {
        var rng = new Random(seed);
        var b = new StringBuilder("f0,f1,f2,f3,label\n");
        for (int i = 0; i < n; i++)
        {
            int c = i % 2;
            for (int j = 0; j < 4; j++)
                b.Append(((c == 0 ? -1.5 : 1.5) + 5 * (rng.NextDouble() - 0.5)).ToString("R", CultureInfo.InvariantCulture)).Append(',');
            b.Append(c).Append('\n');
        }
        return b.ToString();
    }

    private const string Config = """
        seed: 1
        model: {mlp: {widths: [4, 8, 2]}}
        data: {train: {name: ../data/train.csv}, test: {name: ../data/test.csv}}
        loss: {kind: cross_entropy}
        algorithm: {name: gd, eta: 0.05}
        stop: {steps: 30}
        """;

    private static Dictionary<string, double> Numbers(JsonElement o) =>
        o.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).ToDictionary(p => p.Name, p => p.Value.GetDouble());

    [Fact]
    public void ARunTrainedFromOneDirectoryIsMeasuredAndResumedFromAnother()
    {
        string root = TrainerTestConfigs.TempDir();
        try
        {
            string project = Path.Combine(root, "project"), elsewhere = Path.Combine(root, "elsewhere");
            Directory.CreateDirectory(Path.Combine(project, "data"));
            Directory.CreateDirectory(Path.Combine(project, "configs"));
            Directory.CreateDirectory(elsewhere);
            File.WriteAllText(Path.Combine(project, "data", "train.csv"), InvariantCsv(40, 1));
            File.WriteAllText(Path.Combine(project, "data", "test.csv"), InvariantCsv(30, 2));
            File.WriteAllText(Path.Combine(project, "configs", "run.yaml"), Config);

            // From the project directory: ../data/train.csv means project/../data (absent) by the working directory and
            // project/data/train.csv by the config file's directory.
            var (code, _, err) = CliProcess.Run("train configs/run.yaml --out runs/r --threads 1", project);
            Assert.True(code == 0, err);
            string run = Path.Combine(project, "runs", "r");
            string recorded = File.ReadAllText(Path.Combine(run, "config.yaml"));
            Assert.Contains($"train: '{Path.Combine(project, "data", "train.csv")}'", recorded);
            Assert.Contains($"test: '{Path.Combine(project, "data", "test.csv")}'", recorded);

            var (mcode, output, merr) = CliProcess.Run($"measure --run \"{run}\" --no-svd", elsewhere);
            Assert.True(mcode == 0, merr);
            Assert.Contains("reproduced exactly", output);
            var final = Numbers(JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "final.json"))).RootElement);
            var measures = Numbers(JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "measures.json"))).RootElement.GetProperty("measures"));
            Assert.Equal(final["train_error"], measures["run.train_error"]);
            Assert.Equal(final["test_error"], measures["run.test_error"]);
            Assert.Equal(final["train_loss"], measures["run.train_loss"]);

            // Resuming the finished run from elsewhere rebuilds its data and accepts its checkpoint (exit 0, nothing to do).
            var (rcode, _, rerr) = CliProcess.Run($"train --resume \"{run}\" --threads 1", elsewhere);
            Assert.True(rcode == 0, rerr);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void ARunDirectoryWrittenBeforeKeepsItsWorkingDirectoryMeaning()
    {
        // A run made before paths were resolved records data/train.csv relative to where train ran: from there it still
        // reads the same rows (the working-directory fallback), and its accuracy is reproduced.
        string root = TrainerTestConfigs.TempDir();
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "data"));
            File.WriteAllText(Path.Combine(root, "data", "train.csv"), InvariantCsv(40, 1));
            File.WriteAllText(Path.Combine(root, "data", "test.csv"), InvariantCsv(30, 2));
            File.WriteAllText(Path.Combine(root, "run.yaml"), Config.Replace("../data/", "data/"));
            var (code, _, err) = CliProcess.Run("train run.yaml --out runs/old --threads 1", root);
            Assert.True(code == 0, err);
            string configPath = Path.Combine(root, "runs", "old", "config.yaml");
            File.WriteAllText(configPath, File.ReadAllText(configPath).Replace($"'{Path.Combine(root, "data")}/", "'data/"));
            Assert.Contains("train: 'data/train.csv'", File.ReadAllText(configPath));
            var (mcode, output, merr) = CliProcess.Run("measure --run runs/old --no-svd", root);
            Assert.True(mcode == 0, merr);
            Assert.Contains("reproduced exactly", output);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void APathIsResolvedAgainstTheConfigDirectoryAndTheHashAsWrittenIsKept()
    {
        string dir = TrainerTestConfigs.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "d"));
        try
        {
            File.WriteAllText(Path.Combine(dir, "d", "t.csv"), InvariantCsv(10, 3));
            Assert.Equal(Path.Combine(dir, "d", "t.csv"), DataFiles.Resolve("d/t.csv", dir));
            Assert.Equal($"{Path.Combine(dir, "X.npy")},{Path.Combine(dir, "y.npy")}", DataFiles.Resolve("X.npy,y.npy", dir));
            Assert.Equal("/abs/t.csv", DataFiles.Resolve("/abs/t.csv", dir));
            Assert.Equal("digits", DataFiles.Resolve("digits", dir));
            Assert.Equal("separable", DataFiles.Resolve("separable", dir));

            string yaml = Config.Replace("../data/train.csv", "d/t.csv").Replace("test: {name: ../data/test.csv}", "split: {test: 0.3}");
            var resolved = TrainConfigYaml.Parse(yaml, "run.yaml", baseDirectory: dir);
            var asWritten = TrainConfigYaml.Parse(yaml, "run.yaml");
            Assert.Equal(Path.Combine(dir, "d", "t.csv"), resolved.Data.Train.Name);
            Assert.Equal("d/t.csv", asWritten.Data.Train.Name);
            // The hashes identifying the run: the config as read (absolute path) and as written (what a run made before carries).
            Assert.Equal([TrainConfigWriter.Hash(resolved), TrainConfigWriter.Hash(asWritten)], TrainConfigWriter.Hashes(resolved));
            Assert.Equal([TrainConfigWriter.Hash(asWritten)], TrainConfigWriter.Hashes(asWritten));
        }
        finally { Directory.Delete(dir, true); }
    }
}
