namespace Gradscope.Measures.Registry.Entries;

using Gradscope.Measures.PacBayes;
using Gradscope.Nn;
using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>
/// The PAC-Bayes bound of Dziugaite &amp; Roy 2017 (THEORY.md section 5) with every term, under the keys of
/// <see cref="PacBayesReport.Keys"/>: computed by <see cref="PacBayesComputation"/> (posterior optimization from the weights at
/// initialization as the prior mean, Monte Carlo error bound, PAC-Bayes-kl bound) on the whole training split of a binary
/// dense/ReLU net. Opt-in (<see cref="MeasureOptions.PacBayesPosterior"/>): thousands of gradient steps; <c>gradscope bound
/// pac-bayes</c> runs the same computation and writes the same keys into bound.json.
/// </summary>
internal static class PacBayesEntries
{
    private const N Needs = N.Binary | N.Dense | N.InitWeights | N.OptIn;

    private static string? Layout<T>(Sequential<T> model) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        try { MlpLayout.Of(model); return null; }
        catch (NotSupportedException e) { return e.Message; }
    }

    private static string? Na(MeasureContext c)
    {
        if (c.Options.PacBayesPosterior is null)
            return "opt-in: the PAC-Bayes bound optimizes a Gaussian posterior over the weights (thousands of gradient steps on the training set): gradscope bound pac-bayes, or MeasureOptions.PacBayesPosterior";
        if (c.Outputs != 1) return $"the PAC-Bayes bound here is for binary nets (one output); the net has {c.Outputs} outputs";
        if (c.NoInitialWeights is string why) return why + " (the prior mean of the PAC-Bayes bound)";
        string? layout = c switch
        {
            MeasureContext<double> d => Layout(d.Model),
            MeasureContext<float> f => Layout(f.Model),
            _ => "the PAC-Bayes computation runs on float32 or float64 nets",
        };
        return layout ?? Report(c).Why;
    }

    private static (PacBayesReport? R, string? Why) Report(MeasureContext c) => c.Memo<(PacBayesReport?, string?)>("pacbayes", () =>
    {
        var options = c.Options.PacBayesPosterior!;
        var w0 = c.InitialFlat!;
        try
        {
            return c switch
            {
                MeasureContext<double> d => (PacBayesComputation.Run(d.Model, w0, c.Train, c.Test, options), null),
                MeasureContext<float> f => (PacBayesComputation.Run(f.Model, w0, c.Train, c.Test, options), null),
                _ => (null, "the PAC-Bayes computation runs on float32 or float64 nets"),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException) { return (null, e.Message); }
    });

    public static IEnumerable<IMeasure> All()
    {
        foreach (var (key, symbol, formula, value) in PacBayesReport.Keys)
            yield return Of(key, symbol, formula, "5", Needs, C.Optimization, Na, (c, s) =>
            {
                double v = value(Report(c).R!);
                if (double.IsFinite(v)) s.Set(key, v);
                else s.Omit(key, c.Test is null ? "needs a test split" : $"not finite ({v})");
            }, "pacbayes.*");
    }
}
