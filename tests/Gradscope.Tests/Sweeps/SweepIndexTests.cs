using System.Diagnostics;
using Gradscope.Sweeps;

namespace Gradscope.Tests.Sweeps;

public class SweepIndexTests
{
    [Fact]
    public void TimingsSumTheWallSecondsOfFinishedPointsAndSpanFirstStartToLastFinish()
    {
        using var t = new SweepTestFiles();
        var points = Enumerable.Range(0, 3).Select(i => (new SweepPoint(i, new string((char)('a' + i), 64), "seed: 0\n", new Dictionary<string, string>(), null), $"points/{i}"));
        using var index = SweepIndex.Create(Path.Combine(t.Root, "index.sqlite"), points, new Dictionary<string, string>());
        Assert.Equal((0, 0.0, 0.0), index.Timings());
        var watch = Stopwatch.StartNew();
        var a = index.TryClaim("w", 1, "h", 30)!;
        var b = index.TryClaim("w", 1, "h", 30)!;
        Thread.Sleep(50);
        Assert.True(index.Complete(a.Index, "w", "{}", 1.5));
        Assert.True(index.Fail(b.Index, "w", "boom", 2.25));
        double elapsed = watch.Elapsed.TotalSeconds;
        var (finished, sum, span) = index.Timings();
        Assert.Equal(2, finished);            // the third point is still pending
        Assert.Equal(3.75, sum, 12);
        Assert.InRange(span, 0.04, elapsed + 0.01);
    }
}
