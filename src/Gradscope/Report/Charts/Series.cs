namespace Gradscope.Report;

/// <summary>A named curve for <see cref="Charts.Lines"/>: points (X[i], Y[i]).</summary>
/// <param name="Name">Legend entry.</param>
/// <param name="X">Abscissae (e.g. step t).</param>
/// <param name="Y">Ordinates, same length as <paramref name="X"/>.</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>A named sample of values for <see cref="Charts.Ecdf"/> (e.g. normalized margins under true labels).</summary>
/// <param name="Name">Legend entry.</param>
/// <param name="Values">The sample; NaN values are dropped.</param>
public sealed record Sample(string Name, IReadOnlyList<double> Values);

/// <summary>A point of <see cref="Charts.Scatter"/>, optionally in a coloured group and with a tooltip label.</summary>
/// <param name="X">Abscissa.</param>
/// <param name="Y">Ordinate.</param>
/// <param name="Series">Colour group (legend entry), or null.</param>
/// <param name="Label">Tooltip label (e.g. "noise 0.2"), or null.</param>
public sealed record Point(double X, double Y, string? Series = null, string? Label = null);

/// <summary>A bar of <see cref="Charts.Bars"/>: category on x, value on y, optionally grouped by series.</summary>
/// <param name="Category">Category on the x axis (e.g. singular value index "1").</param>
/// <param name="Value">Bar height.</param>
/// <param name="Series">Group within a category (e.g. layer "W_2"), or null.</param>
public sealed record Bar(string Category, double Value, string? Series = null);

/// <summary>The reference line y = Slope * x + Intercept drawn dashed over a scatter plot.</summary>
/// <param name="Label">Tooltip label, e.g. "y = x".</param>
/// <param name="Slope">Slope.</param>
/// <param name="Intercept">Intercept.</param>
public sealed record ReferenceLine(string Label, double Slope = 1, double Intercept = 0)
{
    /// <summary>The diagonal y = x.</summary>
    public static ReferenceLine Identity { get; } = new("y = x");
}
