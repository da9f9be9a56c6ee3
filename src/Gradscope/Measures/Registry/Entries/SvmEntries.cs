namespace Gradscope.Measures.Registry.Entries;

using Gradscope.Training;
using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>
/// The hard-margin linear SVM without intercept of the training set (THEORY.md section 5, distance to max margin; no network):
/// min 1/2 ||w||^2 s.t. y_i &lt;w, x_i&gt; &gt;= 1 by dual coordinate ascent (<see cref="HardMarginSvm"/>), on every training row.
/// Opt-in (<see cref="MeasureOptions.Svm"/>; <c>gradscope svm DATA</c>).
/// </summary>
internal static class SvmEntries
{
    private const N Needs = N.DataOnly | N.Binary | N.OptIn;

    private static string? Na(MeasureContext c)
    {
        if (!c.Options.Svm) return "opt-in: the hard-margin SVM of the training set (gradscope svm DATA; MeasureOptions.Svm)";
        var t = c.Train;
        if (t.Classes != 2 || t.Y.Any(y => y is not (0 or 1)))
            return $"the training set '{t.Name}' has {t.Classes} classes; the hard-margin SVM needs labels 0/1 (gradscope svm --binary A,B picks two)";
        return Fit(c).Why;
    }

    private static (HardMarginSvmResult? R, string? Why) Fit(MeasureContext c) => c.Memo<(HardMarginSvmResult?, string?)>("svm", () =>
    {
        try { return (HardMarginSvm.Fit(c.Train, c.Options.SvmTolerance, c.Options.SvmMaxEpochs), null); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { return (null, e.Message.Replace("HardMarginSvm: ", "")); }
    });

    private static IMeasure Scalar(string key, string symbol, string formula, Func<HardMarginSvmResult, double> value) =>
        Of(key, symbol, formula, "5", Needs, C.Forward, Na, (c, s) => s.Set(key, value(Fit(c).R!)), "svm.*");

    private static IMeasure Array(string key, string symbol, string formula, Func<HardMarginSvmResult, double[]> value) =>
        Entry.Array(key, symbol, formula, "5", Needs, C.Forward, Na, (c, s) => { var v = value(Fit(c).R!); s.SetArray(key, [v.Length], v); }, "svm.*");

    public static IEnumerable<IMeasure> All()
    {
        yield return Scalar("svm.margin", "gamma_SVM", "hard-margin SVM margin 1/||w|| = min_i y_i <w, x_i> / ||w|| (no intercept) of the training set", r => r.Margin);
        yield return Scalar("svm.w_norm", "||w||", "norm of the SVM solution w (y_i <w, x_i> >= 1 with equality at the support rows)", r => 1 / r.Margin);
        yield return Scalar("svm.support_count", "#{alpha_i > 0}", "number of support rows (dual variables alpha_i > 0)", r => r.SupportVectors.Length);
        yield return Scalar("svm.kkt_violation", "KKT", "largest KKT violation of the dual solution reached (<= the tolerance)", r => r.KktViolation);
        yield return Scalar("svm.epochs", "epochs", "epochs of dual coordinate ascent taken", r => r.Epochs);
        yield return Array("svm.direction", "w / ||w||", "the max-margin direction (d,)", r => r.Direction);
        yield return Array("svm.alpha", "alpha", "dual variables alpha_i, one per training row (w = sum_i alpha_i y_i x_i)", r => r.Alpha);
        yield return Array("svm.support_rows", "{i : alpha_i > 0}", "training rows with alpha_i > 0, ascending", r => r.SupportVectors.Select(i => (double)i).ToArray());
    }
}
