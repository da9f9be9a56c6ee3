using Gradscope.Measures;

namespace Gradscope.Tests.Measures;

/// <summary>
/// MeasureProfile: which phases it records (only while active, on the activating thread), how often, and that own times
/// (nested phases taken out) add up to no more than the CPU time that passed around them.
/// </summary>
public class MeasureProfileTests
{
    [Fact]
    public void RecordsNothingWhenInactive()
    {
        var profile = new MeasureProfile();
        using (MeasureProfile.Time("outside")) { }
        Assert.Empty(profile.Rows);
    }

    [Fact]
    public void CountsCallsAndTakesNestedTimeOutOfTheParent()
    {
        var profile = new MeasureProfile();
        double c0 = CpuClock.ProcessSeconds();
        using (profile.Activate())
        {
            for (int rep = 0; rep < 3; rep++)
            {
                using var outer = MeasureProfile.Time("outer");
                Spin(100_000);
                using (MeasureProfile.Time("inner")) Spin(200_000);
                using (MeasureProfile.Time("inner")) Spin(200_000);
            }
        }
        double c1 = CpuClock.ProcessSeconds();
        using (MeasureProfile.Time("after")) { }
        var rows = profile.Rows;
        Assert.Equal(["outer", "inner"], rows.Select(r => r.Name));
        Assert.Equal(3, rows[0].Calls);
        Assert.Equal(6, rows[1].Calls);
        Assert.All(rows, r => Assert.True(r.CpuSeconds >= 0 && r.WallSeconds >= 0, $"{r.Name}: {r.CpuSeconds} s"));
        // own times are disjoint parts of the activation, so they sum to at most the CPU time around it
        Assert.True(rows.Sum(r => r.CpuSeconds) <= c1 - c0 + 1e-9, $"{rows.Sum(r => r.CpuSeconds)} > {c1 - c0}");
    }

    [Fact]
    public void AProbeRecordsItsRegistryEntriesAndTheLayerTable()
    {
        var model = MeasureTestNets.Mlp([6, 8, 3], bias: false, seed: 4);
        var data = MeasureTestNets.Gaussian(40, 6, 3, 5);
        var profile = new MeasureProfile();
        using (profile.Activate()) new MeasureSuite(MeasureOptions.Probe).Compute(model, data);
        var names = profile.Rows.Select(r => r.Name).ToHashSet();
        Assert.Contains("train_error", names);
        Assert.Contains("layers", names);
        Assert.Contains("layers.gram_spectra", names);
        Assert.Contains("gram.product", names);
        Assert.Contains("eigen.tridiagonalize", names);
        Assert.Contains("sample_outputs", names);
        Assert.Equal(1, profile.Rows.Single(r => r.Name == "layers").Calls);
    }

    [Fact]
    public void ARepeatedProbesForwardPassAllocatesOnlyItsMargins()
    {
        // 1024 samples, 10 classes: the outputs (80 KB) come from a buffer kept between probes; what is left is the margins
        // and their sorted copy (8 KB each).
        var model = MeasureTestNets.Mlp([20, 30, 10], bias: false, seed: 6);
        var data = MeasureTestNets.Gaussian(1024, 20, 10, 7);
        var suite = new MeasureSuite(MeasureOptions.Probe);
        suite.Compute(model, data);
        var profile = new MeasureProfile();
        using (profile.Activate()) suite.Compute(model, data);
        long bytes = profile.Rows.Single(r => r.Name == "sample_outputs").Bytes;
        Assert.True(bytes < 3 * 1024 * 8, $"the forward pass allocated {bytes} bytes");
    }

    private static double Spin(int n)
    {
        double s = 0;
        for (int i = 1; i <= n; i++) s += 1.0 / i;
        return s;
    }
}
