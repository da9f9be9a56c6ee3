using Gradscope.Claims;

namespace Gradscope.Tests.Claims;

/// <summary>A failed run inside <see cref="ParallelRuns.Map"/> reports its own error, as it would when the runs go one after another.</summary>
public class ParallelRunsErrorTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AFailedRunThrowsItsOwnExceptionNotAnAggregate(int threads)
    {
        var def = ClaimRegistry.Select(["min-norm-stability"]).Single().Definition;
        string dir = Path.Combine(Path.GetTempPath(), $"gs-parerr-{Guid.NewGuid():N}");
        try
        {
            var ctx = new ClaimContext(def, "quick", 1, threads, dir);
            var e = Assert.Throws<InvalidOperationException>(() => ParallelRuns.Map(ctx, Enumerable.Range(0, 6).ToList(),
                i => i == 3 ? throw new InvalidOperationException("run 'r3' ended NonFinite: loss") : i));
            Assert.Equal("run 'r3' ended NonFinite: loss", e.Message);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
