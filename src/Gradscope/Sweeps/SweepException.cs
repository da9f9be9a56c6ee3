namespace Gradscope.Sweeps;

/// <summary>A sweep file, sweep directory or executor problem; the message names the file, key or line.</summary>
public sealed class SweepException(string message, Exception? inner = null) : Exception(message, inner);
