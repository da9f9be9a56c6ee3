namespace Gradscope.Measures.Registry;

using Gradscope.Measures.Registry.Entries;

/// <summary>
/// The one registry of measures: every quantity of THEORY.md sections 2, 3 and 5 under one stable dotted key, with its
/// applicability, cost class and one implementation. The CLI's <c>measure</c> and <c>measures</c>, <see cref="MeasureSuite"/>,
/// training probes (<c>probes.measures</c>) and <c>rank-measures</c> read from it.
/// </summary>
public static class MeasureRegistry
{
    private static readonly IReadOnlyList<IMeasure> _all =
    [
        .. NetworkEntries.All().Take(2), .. LayerEntries.All(), .. NetworkEntries.All().Skip(2),
        .. MarginEntries.All(), .. LossEntries.All(), .. BoundEntries.All(), .. CollapseEntries.All(), .. SplitEntries.All(),
        .. CurvatureEntries.All(), .. LinearEntries.All(), .. KernelEntries.All(),
        .. JiangEntries.All(), .. SpectralFitEntries.All(), .. FlatnessEntries.All(), .. PacBayesEntries.All(), .. SvmEntries.All(), .. AnalyticKernelEntries.All(),
    ];

    /// <summary>Every measure, in reading order (size, per layer, network, margins, losses, bounds, collapse, test split, Hessian, linear nets, NTK, Jiang et al.'s norms and distances from initialization, WeightWatcher exponents, flatness, the PAC-Bayes bound, and the data-set measures: the hard-margin SVM and the analytic NTK).</summary>
    public static IReadOnlyList<IMeasure> All => _all;

    /// <summary>The measure whose key pattern is <paramref name="key"/> or covers concrete key <paramref name="key"/>, or null.</summary>
    public static IMeasure? Find(string key) =>
        _all.FirstOrDefault(m => m.Info.Key == key) ?? _all.FirstOrDefault(m => m.Info.Matches(key));

    /// <summary>
    /// The measures matching any of <paramref name="patterns"/>: exact keys ("bound.bft"), concrete instances of a pattern
    /// ("layer.0.spectral"), key patterns ("layer.{k}.spectral") or globs where "*" matches any text ("bound.*",
    /// "layer.*.spectral", "*"). Throws <see cref="ArgumentException"/> naming a pattern that matches no measure.
    /// </summary>
    public static IReadOnlyList<IMeasure> Select(IEnumerable<string> patterns)
    {
        var chosen = new HashSet<IMeasure>();
        foreach (var raw in patterns)
        {
            string p = MeasureInfo.Wildcard(raw.Trim());
            var hits = _all.Where(m => KeyGlob.Overlaps(p, MeasureInfo.Wildcard(m.Info.Key))).ToList();
            if (hits.Count == 0)
                throw new ArgumentException($"'{raw}' matches no measure; `gradscope measures` lists them ({Suggest(raw)}).");
            chosen.UnionWith(hits);
        }
        return _all.Where(chosen.Contains).ToList();
    }

    /// <summary>Whether concrete key <paramref name="key"/> is selected by one of <paramref name="patterns"/> (globs or patterns).</summary>
    public static bool Selects(IReadOnlyList<string> patterns, string key) =>
        patterns.Any(p => KeyGlob.Matches(MeasureInfo.Wildcard(p.Trim()), key) || (Find(p.Trim()) is { } m && m.Info.Key == p.Trim() && m.Info.Matches(key)));

    /// <summary>
    /// Computes <paramref name="measures"/> (default all) on <paramref name="context"/>: each measure that applies writes its
    /// keys; each that does not is reported under its group key with its specific reason. With <paramref name="keep"/>
    /// only the concrete keys it accepts are kept.
    /// </summary>
    public static MeasureReport Compute(MeasureContext context, IEnumerable<IMeasure>? measures = null, Func<string, bool>? keep = null)
    {
        var sink = new MeasureSink(keep);
        var list = (measures ?? _all).ToList();
        // The layer table (norms, spectra) and the forward pass over the measured samples, which most selections need, are
        // computed first and, with two or more threads, side by side (MeasureContext.Prepare).
        if (context.HasModel && list.Any(m => m.Info.Cost is MeasureCost.Weights or MeasureCost.Spectrum))
            using (MeasureProfile.Time("prepare")) context.Prepare(withOutputs: list.Any(m => m.Info.Cost == MeasureCost.Forward));
        foreach (var m in list)
        {
            sink.Current = null;
            if (!context.HasModel && !m.Info.Needs.HasFlag(MeasureNeeds.DataOnly)) { sink.Omit(m.Info.Group, "needs a network (only a data set was given)"); continue; }
            string? why;
            using (MeasureProfile.Time("applicability")) why = m.NotApplicable(context);
            if (why is not null) { sink.Omit(m.Info.Group, why); continue; }
            sink.Current = m.Info;
            using (MeasureProfile.Time(m.Info.Key)) m.Compute(context, sink);
        }
        sink.Current = null;
        return sink.ToReport();
    }

    private static string Suggest(string raw)
    {
        string head = raw.Split('.')[0].TrimEnd('*');
        var near = _all.Select(m => m.Info.Key).Where(k => head.Length > 0 && k.StartsWith(head, StringComparison.Ordinal)).Take(5).ToList();
        return near.Count > 0 ? "did you mean " + string.Join(", ", near) + "?" : "e.g. bound.*, layer.*.spectral, margin.min";
    }
}
