using System.Numerics;

namespace Gradscope.Training;

/// <summary>
/// NMGD, norm-minimizing GD (THEORY.md section 4): the <see cref="Halpern{T}"/> iteration with anchor u = 0
/// (unless given) and a_t = 1/(t+2); it converges to the minimum-norm minimizer, i.e. GD with a vanishing
/// regularization lambda(t) ~ a_t / eta.
/// </summary>
public sealed class Nmgd<T>(double[]? anchor = null, HalpernSchedule? schedule = null) : Halpern<T>(anchor, schedule)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override string Name => "nmgd";
}
