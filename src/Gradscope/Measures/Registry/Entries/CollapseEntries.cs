namespace Gradscope.Measures.Registry.Entries;

using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>Neural collapse NC1-NC4 of THEORY.md section 5 on the penultimate features of the measured samples.</summary>
internal static class CollapseEntries
{
    // One computation shared by the five keys; an empty class (a label no measured sample carries) leaves its mean
    // undefined: omitted with that reason, not faked.
    private static (NeuralCollapseResult? R, string? Why) Result(MeasureContext c) => c.Memo<(NeuralCollapseResult?, string?)>("neural_collapse", () =>
    {
        int layer = c.NeuralCollapseLayer;
        var outputs = c.SampleOutputs;
        double[] h;
        using (MeasureProfile.Time("nc.features")) h = outputs.Features ?? c.FeaturesOf(layer);
        var pred = ModelEval.Predictions(c.SampleOutputs.Outputs, c.Sample.N);
        using var phase = MeasureProfile.Time("nc.compute");
        try { return (NeuralCollapse.Compute(h, c.Sample.Y, c.Sample.Classes, layer == c.LastWeightLayer ? c.Weights[^1].Data : null, pred), null); }
        catch (ArgumentException e) { return (null, e.Message); }
    });

    private static string? Na(MeasureContext c) =>
        !c.Options.NeuralCollapse ? "disabled in the options"
        : c.Outputs < 2 ? "binary net (1 output): neural collapse needs C >= 2 class means and a C-row classifier"
        : Result(c).Why;

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("nc1", "NC1", "trace(Sigma_W pinv(Sigma_B)) / C", "5", N.Multiclass, C.Forward, Na, (c, s) => s.Set("nc1", Result(c).R!.NC1), "nc*");
        yield return Of("nc2_equinorm", "NC2 equinorm", "std_c ||mu_c - mu_G|| / mean_c ||mu_c - mu_G||", "5", N.Multiclass, C.Forward, Na, (c, s) => s.Set("nc2_equinorm", Result(c).R!.NC2Equinorm), "nc*");
        yield return Of("nc2_equiangularity", "NC2 equiangularity", "mean_{c != c'} |cos(mu_c - mu_G, mu_c' - mu_G) + 1/(C-1)|", "5", N.Multiclass, C.Forward, Na, (c, s) => s.Set("nc2_equiangularity", Result(c).R!.NC2Equiangularity), "nc*");
        yield return Of("nc3", "NC3", "|| W_L^T/||W_L||_F - M/||M||_F ||_F^2, M = [mu_c - mu_G]_c", "5", N.Multiclass, C.Forward, Na, (c, s) =>
        {
            if (Result(c).R!.NC3 is double nc3) s.Set("nc3", nc3);
            else s.Omit("nc3", $"features of layer {c.NeuralCollapseLayer} do not feed the last weight layer");
        }, "nc*");
        yield return Of("nc4", "NC4", "fraction of points whose nearest-class-mean label differs from the network's prediction", "5", N.Multiclass, C.Forward, Na, (c, s) => s.Set("nc4", Result(c).R!.NC4!.Value), "nc*");
    }
}
