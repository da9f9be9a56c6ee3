namespace Gradscope.Measures.Registry;

/// <summary>
/// One quantity of the registry: its description, whether it applies to a context (and the specific reason when
/// not), and its one implementation, which writes its keys into a sink.
/// </summary>
public interface IMeasure
{
    /// <summary>Key, symbol, formula, THEORY.md section, needs and cost class.</summary>
    MeasureInfo Info { get; }

    /// <summary>
    /// Null when the measure applies to <paramref name="context"/>; otherwise the reason that applies to this net and
    /// these options (e.g. "the net has biases or batch norm (not homogeneous)"), never a generic one.
    /// </summary>
    string? NotApplicable(MeasureContext context);

    /// <summary>Computes the measure's keys into <paramref name="sink"/> (called only when <see cref="NotApplicable"/> is null).</summary>
    void Compute(MeasureContext context, MeasureSink sink);
}

/// <summary>A registry entry written as a description plus two functions (most measures are a line of each).</summary>
public sealed class MeasureEntry(MeasureInfo info, Func<MeasureContext, string?> notApplicable, Action<MeasureContext, MeasureSink> compute) : IMeasure
{
    /// <inheritdoc/>
    public MeasureInfo Info { get; } = info;

    /// <inheritdoc/>
    public string? NotApplicable(MeasureContext context) => notApplicable(context);

    /// <inheritdoc/>
    public void Compute(MeasureContext context, MeasureSink sink) => compute(context, sink);

    /// <inheritdoc/>
    public override string ToString() => Info.Key;
}
