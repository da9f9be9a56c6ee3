using Xunit.Abstractions;

namespace Gradscope.Tests.Fuzz;

/// <summary>
/// The fuzz policy for one input family: every case ends in a valid result (checked by the family's own invariant) or
/// in the reader's input-error type (<see cref="InvalidDataException"/> for data and model files,
/// <c>TrainConfigException</c> for training configs, <c>SweepException</c> for sweep files) whose message names the
/// file; any other exception, or an error that does not name the file, is a failure listed with its case.
/// </summary>
internal sealed class FuzzTally(string family, Type errorType, string mustName)
{
    private readonly List<string> _failures = [];

    public int Valid { get; private set; }
    public int Rejected { get; private set; }

    /// <summary>Runs one case: <paramref name="act"/> reads the input and checks its result.</summary>
    public void Case(int index, string how, Action act)
    {
        try
        {
            act();
            Valid++;
        }
        catch (Exception e) when (errorType.IsInstanceOfType(e))
        {
            if (e.Message.Contains(mustName, StringComparison.Ordinal)) Rejected++;
            else _failures.Add($"case {index} ({how}): {errorType.Name} without '{mustName}': {e.Message}");
        }
        catch (Exception e)
        {
            _failures.Add($"case {index} ({how}): {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Reports the counts and fails with the first failures, if any.</summary>
    public void AssertClean(ITestOutputHelper output, int minRejected = 1)
    {
        output.WriteLine($"{family}: {Valid + Rejected + _failures.Count} cases: {Valid} valid, {Rejected} clear errors, {_failures.Count} other");
        Assert.True(_failures.Count == 0, $"{family}: {_failures.Count} cases ended in an unexpected exception:\n" + string.Join("\n", _failures.Take(8)));
        // the mutations must actually reach the error paths, or the test proves nothing
        Assert.True(Rejected >= minRejected, $"{family}: only {Rejected} of {Valid + Rejected} mutated inputs were rejected");
    }
}
