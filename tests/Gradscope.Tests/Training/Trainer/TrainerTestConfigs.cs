using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

/// <summary>Tiny configs shared by the trainer tests.</summary>
internal static class TrainerTestConfigs
{
    public static TrainConfig Tiny(string algorithm = "gd", int batch = 0, long steps = 50, string dtype = "f64", string loss = "logistic", double eta = 0.1, int n = 40) => new()
    {
        Seed = 7,
        DType = dtype,
        Threads = 1,
        Model = new ModelConfig { Mlp = new MlpConfig { Widths = [5, 8, 1] } },
        Data = new DataConfig { Train = new DataSource("separable", new Dictionary<string, string> { ["n"] = n.ToString(), ["d"] = "5" }) },
        Loss = new LossConfig { Kind = loss },
        Algorithm = new AlgorithmConfig { Name = algorithm, Eta = eta, BatchSize = batch },
        Stop = new StoppingRules { Steps = steps },
        Probes = new ProbeConfig { Every = 10, CheckpointEvery = 7 },
    };

    public static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), $"gs-trainer-{Guid.NewGuid():N}");
        return d;
    }

    public const string YamlTiny = """
        seed: 5
        dtype: f64
        model:
          mlp: {widths: [4, 6, 1], activation: relu}
        data:
          train: {name: separable, n: 30, d: 4}
        loss: {kind: logistic}
        algorithm: {name: sgd, eta: 0.1, batch_size: 8}
        stop: {steps: 60}
        probes: {every: 20, checkpoint_every: 5}
        """;
}
