using System.Globalization;
using System.Numerics;

namespace Gradscope.Measures.Registry;

using Gradscope.Tensors;
using Gradscope.Training;

/// <summary>
/// <c>probes.measures</c>: records registry measures at probe steps into metrics.csv/jsonl under their registry keys. Each
/// measure runs at the first and last probe and at probe steps that are multiples of its <c>every</c> (its own, else its
/// cost class's in <c>probes.measure_every</c>, else every probe); otherwise its cells stay empty. It does nothing
/// between probes, so training steps allocate nothing extra.
/// </summary>
public sealed class MeasureProbe<T> : IProbe<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly (IMeasure Measure, long Every)[] _measures;
    private readonly IReadOnlyList<string> _patterns;
    private readonly Trainer<T> _trainer;
    private readonly MeasureOptions _options;
    private readonly MeasureCache _cache = new();
    private readonly Nn.Sequential<T> _initial;

    /// <summary>Options of the probe's measures: at most 1024 evenly spaced training samples, full spectra, the run's loss,
    /// 1 top Hessian eigenvalue, 10 Hutchinson vectors, an NTK on 64 samples, the weights at the start of the run, the flatness
    /// searches with their defaults seeded by the run's seed (each computed only when <c>probes.measures</c> selects it).</summary>
    public static MeasureOptions OptionsFor(TrainConfig c, double[] initial) => MeasureOptions.Probe with
    {
        Loss = Losses.Loss.Parse(c.Loss.Kind), TargetScale = c.Loss.TargetScale, HessianTopK = 1, HutchinsonSamples = 10,
        NtkSamples = 64, InitialParameters = initial, Seed = c.Seed, Flatness = new Flatness.FlatnessOptions { Seed = c.Seed },
    };

    /// <summary>Creates the probe for <paramref name="trainer"/>'s config (before its run starts).</summary>
    /// <exception cref="TrainConfigException">A name that matches no measure, or a measure_every key that is no cost class (file:line: key).</exception>
    public MeasureProbe(Trainer<T> trainer)
    {
        _trainer = trainer;
        var p = trainer.Config.Probes;
        var costs = Enum.GetValues<MeasureCost>().Select(MeasureInfo.CostWord).ToList();
        foreach (var (k, _) in p.MeasureEvery)
            if (!costs.Contains(k))
                throw new TrainConfigException($"{p.MeasureEveryAt.GetValueOrDefault(k, "probes.measure_every." + k)}: '{k}' is not a cost class (one of {string.Join(", ", costs)})");
        var chosen = new Dictionary<IMeasure, long>();
        foreach (var item in p.Measures)
        {
            IReadOnlyList<IMeasure> hits;
            try { hits = MeasureRegistry.Select([item.Name]); }
            catch (ArgumentException e) { throw new TrainConfigException($"{item.At}: {e.Message}"); }
            foreach (var m in hits)
            {
                long every = item.Every ?? (p.MeasureEvery.TryGetValue(m.Info.CostName, out long e) ? e : 1);
                chosen[m] = chosen.TryGetValue(m, out long prev) ? Math.Min(prev, every) : every;
            }
        }
        _measures = MeasureRegistry.All.Where(m => chosen.ContainsKey(m) && !m.Info.IsArray).Select(m => (m, chosen[m])).ToArray();
        _patterns = p.Measures.Select(m => m.Name).ToList();
        // The weights at the start of the run (the seeded initialization; a resumed run rebuilds the same one).
        _initial = TrainerModels.Build<T>(trainer.Config, trainer.Train, new Rng(trainer.Config.Seed));
        var w0 = _initial.Flat.Select(x => double.CreateChecked(x)).ToArray();
        _options = OptionsFor(trainer.Config, w0);
        Keys = ExpandKeys(_measures.Select(x => x.Measure), trainer.Model.Weights.Count, _options).Where(k => MeasureRegistry.Selects(_patterns, k)).ToList();
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>The concrete keys of <paramref name="measures"/> for a net with <paramref name="layers"/> weight layers.</summary>
    public static IEnumerable<string> ExpandKeys(IEnumerable<IMeasure> measures, int layers, MeasureOptions o)
    {
        foreach (var m in measures.Where(m => !m.Info.IsArray)) // arrays (spectra, Gram matrices) are no metrics.csv columns
        {
            IEnumerable<string> keys = [m.Info.Key];
            keys = keys.SelectMany(k => k.Contains("{k}") ? Enumerable.Range(0, layers).Select(i => k.Replace("{k}", I(i))) : [k]);
            keys = keys.SelectMany(k => k.Contains("{q}") ? o.MarginQuantiles.Select(q => k.Replace("{q}", Entries.Entry.Pct(q))) : [k]);
            keys = keys.SelectMany(k => k.Contains("{j}") ? Enumerable.Range(0, Math.Max(1, o.HessianTopK)).Select(j => k.Replace("{j}", I(j))) : [k]);
            foreach (var k in keys) yield return k;
        }
    }

    private static string I(int i) => i.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public void Measure(ProbeContext<T> context, MetricRow row)
    {
        long step = context.Step;
        var due = _measures.Where(x => step == 0 || context.IsLast || step % x.Every == 0).Select(x => x.Measure).ToList();
        if (due.Count == 0) return;
        var ctx = new MeasureContext<T>(context.Model, _trainer.Train, _trainer.Test, _options, _cache, _initial);
        var report = MeasureRegistry.Compute(ctx, due, k => MeasureRegistry.Selects(_patterns, k));
        // a key the built-in probe already wrote this row (rho, layer.{k}.frobenius, margin.min, ...) keeps its value
        foreach (var (k, v) in report.Values) if (row.Get(k) is null) row.Set(k, v);
    }
}

/// <summary>Adds a <see cref="MeasureProbe{T}"/> to runs whose config has <c>probes.measures</c> (pass it in <see cref="TrainerRunOptions.ProbeProviders"/>).</summary>
public sealed class MeasureProbeProvider : IProbeProvider
{
    /// <inheritdoc/>
    public bool ProvidesMeasures => true;

    /// <inheritdoc/>
    public IEnumerable<IProbe<T>> Create<T>(Trainer<T> trainer) where T : unmanaged, IFloatingPointIeee754<T> =>
        trainer.Config.Probes.Measures.Count == 0 ? [] : [new MeasureProbe<T>(trainer)];
}
