namespace Gradscope.Training;

/// <summary>
/// A training run's configuration (docs/config.md documents every key). Build it from YAML with
/// <see cref="TrainConfigYaml.Parse"/> / <see cref="TrainConfigYaml.Load"/> or in code with object
/// initializers; <see cref="Validate"/> checks impossible values either way.
/// </summary>
public sealed record TrainConfig
{
    /// <summary>The element types a config may name (<c>dtype</c>).</summary>
    public static readonly string[] DTypes = ["f32", "f64"];
    /// <summary>Seed of every random choice (init, data generation, subsampling, label noise, minibatch order).</summary>
    public ulong Seed { get; init; }
    /// <summary>Element type: "f32" or "f64".</summary>
    public string DType { get; init; } = "f64";
    /// <summary>Kernel threads (results are bit-identical for a given seed and thread count).</summary>
    public int Threads { get; init; } = 1;
    /// <summary>The network.</summary>
    public ModelConfig Model { get; init; } = new();
    /// <summary>Training and test data.</summary>
    public DataConfig Data { get; init; } = new();
    /// <summary>The loss.</summary>
    public LossConfig Loss { get; init; } = new();
    /// <summary>The algorithm.</summary>
    public AlgorithmConfig Algorithm { get; init; } = new();
    /// <summary>The step-size schedule.</summary>
    public ScheduleConfig Schedule { get; init; } = new();
    /// <summary>Stopping rules.</summary>
    public StoppingRules Stop { get; init; } = new() { Steps = 1000 };
    /// <summary>Probe and checkpoint steps.</summary>
    public ProbeConfig Probes { get; init; } = new();

    /// <summary>File name used in error messages ("config.yaml"), or null for configs built in code.</summary>
    public string? Source { get; init; }
    /// <summary>Location of each key path ("algorithm.eta"): "config.yaml:12", or "override algorithm.eta=0.1" for a value set on the command line.</summary>
    public IReadOnlyDictionary<string, string> Locations { get; init; } = new Dictionary<string, string>();

    /// <summary>An error message "where: key: message" for key path <paramref name="key"/> (the one format of <see cref="IO.YamlSection"/>).</summary>
    public string Where(string key, string message)
    {
        string src = Source ?? "config";
        // fall back to the nearest enclosing key that has a location
        for (string k = key; k.Length > 0; k = k.Contains('.') ? k[..k.LastIndexOf('.')] : "")
            if (Locations.TryGetValue(k, out var where)) return $"{where}: {key}: {message}";
        return $"{src}: {key}: {message}";
    }

    /// <summary>Throws a <see cref="TrainConfigException"/> for <paramref name="key"/>.</summary>
    public TrainConfigException Error(string key, string message) => new(Where(key, message));

    /// <summary>Checks every value that does not depend on the data or the algorithm factory; throws <see cref="TrainConfigException"/> naming key and line.</summary>
    public void Validate() => TrainConfigValidation.Validate(this);
}

/// <summary>A configuration error; the message names the file, line and key.</summary>
public sealed class TrainConfigException(string message) : Exception(message);

/// <summary>The network: an MLP shorthand or an inline layer list (input + layers), plus its initialization.</summary>
public sealed record ModelConfig
{
    /// <summary>MLP shorthand, or null when <see cref="Layers"/> is used.</summary>
    public MlpConfig? Mlp { get; init; }
    /// <summary>Per-sample input shape of an inline layer list (default: the data's sample shape).</summary>
    public int[]? Input { get; init; }
    /// <summary>Inline layer list, or null when <see cref="Mlp"/> is used.</summary>
    public IReadOnlyList<LayerConfig>? Layers { get; init; }
    /// <summary>Initialization.</summary>
    public InitConfig Init { get; init; } = new();
}

/// <summary>An MLP: widths [d, h_1, ..., h_{L-1}, outputs], activation between dense layers.</summary>
public sealed record MlpConfig
{
    /// <summary>The activations of the MLP shorthand.</summary>
    public static readonly string[] Activations = ["relu", "identity"];
    /// <summary>Layer widths including input and output.</summary>
    public int[] Widths { get; init; } = [];
    /// <summary>"relu" (homogeneous ReLU net) or "identity" (deep linear net).</summary>
    public string Activation { get; init; } = "relu";
    /// <summary>Whether dense layers have biases (breaks homogeneity).</summary>
    public bool Bias { get; init; }
}

/// <summary>One inline layer: a kind ("dense", "relu", ...) and its parameters as strings.</summary>
public sealed record LayerConfig(string Kind, IReadOnlyDictionary<string, string> Params)
{
    /// <summary>A layer without parameters.</summary>
    public LayerConfig(string kind) : this(kind, new Dictionary<string, string>()) { }
}

/// <summary>Weight initialization (THEORY.md section 1; Nn.Init).</summary>
public sealed record InitConfig
{
    /// <summary>The init schemes (Nn.Init).</summary>
    public static readonly string[] Schemes = ["he", "lecun", "gaussian", "pytorch", "orthogonal", "balanced"];
    /// <summary>he | lecun | gaussian | pytorch | orthogonal | balanced.</summary>
    public string Scheme { get; init; } = "he";
    /// <summary>Multiplier of every weight after the scheme (small: rich regime, large: lazy).</summary>
    public double Scale { get; init; } = 1.0;
    /// <summary>Standard deviation of the gaussian scheme.</summary>
    public double Std { get; init; } = 1.0;
}

/// <summary>A dataset: a registered name ("digits", "optdigits-train", ...), a synthetic generator with parameters, or a data file.</summary>
public sealed record DataSource(string Name, IReadOnlyDictionary<string, string> Params)
{
    /// <summary>A named dataset without parameters.</summary>
    public DataSource(string name) : this(name, new Dictionary<string, string>()) { }

    /// <summary>The name as the config wrote it, when it was a relative data file path that <see cref="ResolveFile"/> made
    /// absolute (null otherwise): the hash of the config as written still identifies the checkpoints of runs made before.</summary>
    public string? AsWritten { get; init; }

    /// <summary>This source with a relative data file path made absolute against <paramref name="baseDirectory"/>
    /// (<see cref="Data.DataFiles.Resolve"/>); other names unchanged.</summary>
    public DataSource ResolveFile(string baseDirectory) =>
        Data.DataFiles.Resolve(Name, baseDirectory) is var resolved && resolved != Name ? this with { Name = resolved, AsWritten = AsWritten ?? Name } : this;
}

/// <summary>Training and test data and their transforms.</summary>
public sealed record DataConfig
{
    /// <summary>The training set.</summary>
    public DataSource Train { get; init; } = new("separable");
    /// <summary>The test set, or null.</summary>
    public DataSource? Test { get; init; }
    /// <summary>Standardize features to mean 0, std 1 using training statistics (applied to both sets).</summary>
    public bool Standardize { get; init; }
    /// <summary>Keep this many training samples (a seeded random subset), or null for all.</summary>
    public int? Subsample { get; init; }
    /// <summary>Fraction of training labels replaced by a different uniformly random class.</summary>
    public double LabelNoise { get; init; }
    /// <summary>Two classes [a, b] forming a binary task (a -&gt; 0 = y -1, b -&gt; 1 = y +1; other samples dropped), or null.</summary>
    public int[]? Binary { get; init; }
    /// <summary>Threshold t of a binary task keeping every sample: label &gt;= t -&gt; 1, else 0 (e.g. 5: MNIST 0-4 vs 5-9), or null.</summary>
    public int? BinarySplit { get; init; }
    /// <summary>Disjoint train/validation/test parts of the one source <see cref="Train"/> (then <see cref="Test"/> must be null), or null.</summary>
    public SplitConfig? Split { get; init; }

    /// <summary>These data with relative data file paths made absolute against <paramref name="baseDirectory"/> (<see cref="DataSource.ResolveFile"/>).</summary>
    public DataConfig ResolveFiles(string baseDirectory)
    {
        var (train, test) = (Train.ResolveFile(baseDirectory), Test?.ResolveFile(baseDirectory));
        return ReferenceEquals(train, Train) && ReferenceEquals(test, Test) ? this : this with { Train = train, Test = test };
    }
}

/// <summary>
/// <c>data.split</c>: the training source is partitioned, by a seeded shuffle within each class, into disjoint train,
/// validation and test parts. Either fractions (<see cref="Test"/>, <see cref="Validation"/>; the rest trains) or per-class
/// counts (<see cref="TestPerClass"/>, <see cref="ValidationPerClass"/>, <see cref="TrainPerClass"/>), not both.
/// </summary>
public sealed record SplitConfig
{
    /// <summary>Fraction of each class held out for test.</summary>
    public double? Test { get; init; }
    /// <summary>Fraction of each class held out for validation.</summary>
    public double? Validation { get; init; }
    /// <summary>Training samples per class (null: every sample not held out).</summary>
    public int? TrainPerClass { get; init; }
    /// <summary>Test samples per class.</summary>
    public int? TestPerClass { get; init; }
    /// <summary>Validation samples per class.</summary>
    public int? ValidationPerClass { get; init; }
    /// <summary>Seed of the split's shuffle (null: derived from the run's seed).</summary>
    public ulong? Seed { get; init; }
    /// <summary>Fractions within each class (true) or of the whole set (false); counts are always per class.</summary>
    public bool Stratified { get; init; } = true;

    /// <summary>Whether the split is by per-class counts.</summary>
    public bool ByCounts => TrainPerClass is not null || TestPerClass is not null || ValidationPerClass is not null;
}

/// <summary>The loss (THEORY.md section 2).</summary>
public sealed record LossConfig
{
    /// <summary>The losses (Losses.Loss).</summary>
    public static readonly string[] Kinds = ["exponential", "logistic", "cross_entropy", "square", "hinge"];
    /// <summary>exponential | logistic | cross_entropy | square | hinge.</summary>
    public string Kind { get; init; } = "cross_entropy";
    /// <summary>Square-loss target scale.</summary>
    public double TargetScale { get; init; } = 1.0;
}

/// <summary>The training algorithm (THEORY.md section 4).</summary>
public sealed record AlgorithmConfig
{
    /// <summary>gd | sgd | loss_scaled_gd | armijo | flow | loss_scaled_flow | weight_norm | lagrange | nmgd | halpern | ...</summary>
    public string Name { get; init; } = "gd";
    /// <summary>Step size eta (&gt; 0).</summary>
    public double Eta { get; init; } = 0.1;
    /// <summary>Minibatch size B (0: full batch).</summary>
    public int BatchSize { get; init; }
    /// <summary>Weight decay lambda (&gt;= 0).</summary>
    public double WeightDecay { get; init; }
    /// <summary>Algorithm-specific keys (e.g. tolerances of flows), as strings.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}

/// <summary>The step-size schedule (see <see cref="Training.Schedule"/>).</summary>
public sealed record ScheduleConfig
{
    /// <summary>The schedule kinds by their config name.</summary>
    public static readonly IReadOnlyDictionary<string, ScheduleKind> Kinds = new Dictionary<string, ScheduleKind>
    {
        ["constant"] = ScheduleKind.Constant, ["step"] = ScheduleKind.Step, ["cosine"] = ScheduleKind.Cosine, ["loss_scaled"] = ScheduleKind.LossScaled,
    };
    /// <summary>The kind.</summary>
    public ScheduleKind Kind { get; init; } = ScheduleKind.Constant;
    /// <summary>Step decay factor.</summary>
    public double Factor { get; init; } = 0.1;
    /// <summary>Steps between decays.</summary>
    public long Every { get; init; } = 1000;
    /// <summary>Cosine length (default: stop.steps).</summary>
    public long? Total { get; init; }
    /// <summary>Cosine final step size.</summary>
    public double MinEta { get; init; }
}

/// <summary>Probe and checkpoint steps.</summary>
public sealed record ProbeConfig
{
    /// <summary>Probe every this many steps (0: only log-spaced, first and last).</summary>
    public long Every { get; init; } = 100;
    /// <summary>Log-spaced probe points per decade (0: off).</summary>
    public int PerDecade { get; init; }
    /// <summary>Write a checkpoint every this many steps (0: only at the end).</summary>
    public long CheckpointEvery { get; init; } = 1000;
    /// <summary>Keep every checkpoint (checkpoints/step-K.*) instead of only the latest.</summary>
    public bool KeepCheckpoints { get; init; }
    /// <summary>Registry measures (keys or globs, <c>gradscope measures</c>) recorded at probe steps under their registry keys.</summary>
    public IReadOnlyList<ProbeMeasure> Measures { get; init; } = [];
    /// <summary>Per cost class ("weights", "spectrum", "forward", "kernel", "hessian"): measure at every this-many-th step
    /// only (still at the first and last probe); a measure's own every wins.</summary>
    public IReadOnlyDictionary<string, long> MeasureEvery { get; init; } = new Dictionary<string, long>();
    /// <summary>Where each measure_every key was written (file:line), for errors.</summary>
    public IReadOnlyDictionary<string, string> MeasureEveryAt { get; init; } = new Dictionary<string, string>();
}

/// <summary>One entry of <c>probes.measures</c>: a registry key or glob, its own schedule (every this many steps, at
/// probe steps; null: the cost class's or every probe), and where it was written (file:line: probes.measures[i]) for errors.</summary>
public sealed record ProbeMeasure(string Name, long? Every, string At);
