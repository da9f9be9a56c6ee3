using System.Globalization;

namespace Gradscope.Claims;

using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// What a verdict rule works with: its definition, the scale's parameters, the master seed and
/// thread count, its output directory, the shared trainer, and the predeclared thresholds
/// through which every checked number passes.
/// </summary>
public sealed class ClaimContext
{
    private readonly Action<string>? _progress;

    /// <summary>Creates the context of one claim run.</summary>
    public ClaimContext(ClaimDefinition definition, string scale, ulong seed, int threads, string outDir, Action<string>? progress = null)
    {
        Definition = definition; Scale = scale; Seed = seed; Threads = threads; OutDir = outDir; _progress = progress;
        Parameters = definition.Parameters(scale);
        Directory.CreateDirectory(outDir);
    }

    /// <summary>The claim.</summary>
    public ClaimDefinition Definition { get; }
    /// <summary>"quick" or "full".</summary>
    public string Scale { get; }
    /// <summary>The scale's experiment parameters.</summary>
    public ClaimParameters Parameters { get; }
    /// <summary>Master seed of the reproduction.</summary>
    public ulong Seed { get; }
    /// <summary>Kernel threads.</summary>
    public int Threads { get; }
    /// <summary>The claim's directory inside the run directory (configs, metrics, weights of its runs).</summary>
    public string OutDir { get; }

    /// <summary>Reports what the rule is doing (shown live on a terminal).</summary>
    public void Progress(string message) => _progress?.Invoke(message);

    /// <summary>A seed for the run named <paramref name="name"/>, derived from the master seed (stable across claims and runs).</summary>
    public ulong SeedFor(string name)
    {
        ulong h = 1469598103934665603UL ^ Seed;
        foreach (char c in Definition.Id + "/" + name) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    /// <summary>A training config from the YAML under parameter <paramref name="key"/>, with this claim's seed and threads.</summary>
    public TrainConfig Config(string key = "train", string? runName = null)
    {
        var cfg = Parameters.TrainConfig(key);
        return cfg with { Seed = SeedFor(runName ?? key), Threads = Threads };
    }

    /// <summary>
    /// Runs <paramref name="trainer"/> (the shared training loop) into OutDir/<paramref name="runName"/>
    /// (config, metrics CSV + JSONL, checkpoints, final weights); throws when the run did not complete.
    /// </summary>
    public TrainerResult Run<T>(Trainer<T> trainer, string runName) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        string dir = Path.Combine(OutDir, runName);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        long? total = trainer.Config.Stop.Steps;
        long lastShown = -1;
        var result = trainer.Run(new TrainerRunOptions
        {
            RunDirectory = dir,
            ConfigProvenance = Definition.Overrides.Where(o => o.Scale is null || o.Scale == Scale).Select(o => $"override: {o.Override.Text}").ToList(),
            ProgressEvery = Math.Max(1, (total ?? 1000) / 20),
            Progress = p =>
            {
                if (p.Step == lastShown) return;
                lastShown = p.Step;
                Progress(total is { } t ? $"{runName}: step {p.Step:N0}/{t:N0}" : $"{runName}: step {p.Step:N0}, t = {p.Time:G3}");
            },
        });
        if (result.Status != TrainerStatus.Completed)
            throw new InvalidOperationException($"run '{runName}' ended {result.Status}: {result.Reason}");
        return result;
    }

    /// <summary>A checked number against the predeclared check <paramref name="threshold"/>, shown as <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">The definition declares no such check.</exception>
    public Evidence Check(string threshold, string name, double value)
    {
        var t = Declared(Definition.Thresholds, threshold, "check");
        var e = t.Upper is double hi ? Evidence.CheckIn(name, value, t.Value, hi, t.Why) : Evidence.Check(name, value, t.Op, t.Value, t.Why);
        return e with { CheckId = t.Name, Source = t.Source };
    }

    /// <summary>A checked number against the predeclared check <paramref name="check"/>, shown as its declared quantity.</summary>
    /// <exception cref="InvalidOperationException">The definition declares no such check.</exception>
    public Evidence Check(string check, double value)
    {
        var t = Declared(Definition.Thresholds, check, "check");
        return Check(check, t.Quantity ?? t.Name, value);
    }

    /// <summary>
    /// Certifies the predeclared hypothesis <paramref name="hypothesis"/> on the run: holds when <c>value op threshold</c>
    /// (or inside its bracket; NaN never holds). A hypothesis declared with <c>control:</c> belongs to that control's setup.
    /// </summary>
    /// <exception cref="InvalidOperationException">The definition declares no such hypothesis.</exception>
    public HypothesisResult Hypothesis(string hypothesis, double value)
    {
        var t = Declared(Definition.Hypotheses, hypothesis, "hypothesis");
        return new HypothesisResult
        {
            Name = t.Name, Quantity = t.Quantity ?? t.Name, Value = value, Comparison = t.Op, Threshold = t.Value, UpperThreshold = t.Upper,
            Holds = t.Holds(value), Justification = t.Why, Source = t.Source ?? "", Control = t.Control,
        };
    }

    /// <summary>
    /// The outcome of the predeclared control <paramref name="control"/>: the claim's checks evaluated on the
    /// control's runs (build each with <see cref="Check(string, double)"/>). It discriminates when at least one fails.
    /// When a hypothesis of the control's own setup failed, the rule may pass no checks (the control is not judged;
    /// see <see cref="ClaimOutcome.ControlResults"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The definition declares no such control, or a check is not one the control lists.</exception>
    public ControlResult Control(string control, params Evidence[] checks)
    {
        var def = Definition.Controls.FirstOrDefault(c => c.Id == control)
            ?? throw new InvalidOperationException($"{Definition.Source}: the rule runs control '{control}', which the definition does not declare.");
        foreach (var e in checks)
            if (e.CheckId is null || !def.Checks.Contains(e.CheckId))
                throw new InvalidOperationException($"{Definition.Source}: control '{control}' evaluates check '{e.CheckId ?? e.Name}', which it does not list (lists {string.Join(", ", def.Checks)}).");
        return new ControlResult { Id = def.Id, Description = def.Description, Checks = checks, Discriminates = checks.Any(e => e.Passed != true) };
    }

    private Threshold Declared(IReadOnlyDictionary<string, Threshold> declared, string name, string kind) =>
        declared.TryGetValue(name, out var t) ? t
            : throw new InvalidOperationException($"{Definition.Source}: the rule uses {kind} '{name}', which the definition does not declare.");

    /// <summary>Formats a number for notes.</summary>
    public static string Fmt(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
