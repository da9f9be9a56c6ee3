namespace Gradscope.Claims;

/// <summary>
/// Runs a claim's independent training runs side by side, one kernel thread each, as many at a time as the
/// reproduction has threads. Each run's result depends only on its own config (with one thread), so the
/// outcome is the same as running them one after another.
/// </summary>
public static class ParallelRuns
{
    /// <summary>
    /// <paramref name="run"/> applied to every item, at most <see cref="ClaimContext.Threads"/> at a time; results in
    /// item order. The caller gives each run's config one thread (<c>cfg with { Threads = 1 }</c>).
    /// </summary>
    public static TResult[] Map<TItem, TResult>(ClaimContext ctx, IReadOnlyList<TItem> items, Func<TItem, TResult> run)
    {
        var results = new TResult[items.Count];
        try
        {
            Parallel.For(0, items.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, ctx.Threads) }, i => results[i] = run(items[i]));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // a failed run reports its own error (e.g. "run 'x' ended NonFinite: ..."), as it would run one after another
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return results;
    }
}
