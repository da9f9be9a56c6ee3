using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

public class TrainerSamplingTests
{
    [Fact]
    public void EveryEpochIsAFreshPermutation()
    {
        var t = new Trainer<double>(TrainerTestConfigs.Tiny("sgd", batch: 7, n: 50));
        var epochs = new List<int[]>();
        for (int e = 0; e < 3; e++)
        {
            var seen = new List<int>();
            int batches = 0;
            while (seen.Count < 50) { var b = t.NextBatch(); Assert.True(b.Length == 7 || (b.Length == 1 && seen.Count == 49)); seen.AddRange(b.ToArray()); batches++; }
            Assert.Equal(8, batches);
            Assert.Equal(Enumerable.Range(0, 50), seen.Order());
            epochs.Add(seen.ToArray());
        }
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.NotEqual(epochs[1], epochs[2]);
    }

    [Fact]
    public void SameSeedSameOrderDifferentSeedDifferentOrder()
    {
        var a = new Trainer<double>(TrainerTestConfigs.Tiny("sgd", batch: 10));
        var b = new Trainer<double>(TrainerTestConfigs.Tiny("sgd", batch: 10));
        var c = new Trainer<double>(TrainerTestConfigs.Tiny("sgd", batch: 10) with { Seed = 8 });
        var ba = a.NextBatch().ToArray();
        Assert.Equal(ba, b.NextBatch().ToArray());
        Assert.NotEqual(ba, c.NextBatch().ToArray());
    }

    [Fact]
    public void FullBatchPassesNoIndices() => Assert.True(new Trainer<double>(TrainerTestConfigs.Tiny()).NextBatch().IsEmpty);
}
