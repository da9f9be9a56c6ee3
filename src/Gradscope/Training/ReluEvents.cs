using System.Numerics;

namespace Gradscope.Training;

using Gradscope.Autodiff;

/// <summary>Settings of the event location of <see cref="ReluEvents{T}"/>.</summary>
/// <param name="TimeTolerance">Width of the final bracket of a located event time (continuous-time units).</param>
/// <param name="MinSeparation">A pre-activation that crosses 0 again within this time of its last switch is chattering
/// (sliding along the kink): the step is taken as a fallback step instead of stopping at the event.</param>
/// <param name="FallbackMaxDt">Longest fallback step: a longer step that meets a chattering entry is retaken with this length.
/// A fallback step's extra error is about its length times the jump of the field, so this bounds it (infinity = no bound).</param>
public sealed record EventSettings(double TimeTolerance = 1e-11, double MinSeparation = 1e-7, double FallbackMaxDt = double.PositiveInfinity);

/// <summary>
/// Event location for the gradient flow of a ReLU network (THEORY.md section 4, gradient flow). The RHS
/// -grad L(W) is smooth between changes of the activation pattern (the sign of every pre-activation
/// u_k(x_i) of every unit at every training point) and jumps where one crosses 0, so an adaptive RK45 step
/// across such a kink is rejected again and again. Here the integrator steps on the smooth field of the
/// current pattern (<see cref="ActivationPattern{T}"/>, frozen), and after each accepted step:
/// <list type="number">
/// <item>the candidates are the entries whose pre-activation at the step's end has the sign opposite to
/// their mask;</item>
/// <item>the first crossing time t0 + theta* h of phi(theta) = min_c s_c u_c(W(theta)) (s_c = +1 for an
/// active mask, -1 for an inactive one) is bracketed on the step's 4th-order dense output W(theta) by the
/// Illinois method (regula falsi with halving) to <see cref="EventSettings.TimeTolerance"/>;</item>
/// <item>the step is undone and retaken exactly to the bracket's right end, the masks of the entries that
/// have crossed there are switched, and the integrator restarts (the FSAL derivative is recomputed).</item>
/// </list>
/// NOTE: where the field on both sides pushes a pre-activation onto 0 the exact (Filippov) solution slides
/// along the kink and an exact event locator would stop at every step with zero progress. An entry that
/// would switch again within <see cref="EventSettings.MinSeparation"/> of its last switch is therefore not
/// located: the step computed with the current masks is accepted as it stands (its RK error estimate holds
/// for the pattern's smooth field) and every mask is re-synchronised with the signs at its end. Such a
/// fallback step carries an extra local error, estimated as (1 - theta*) h ||F_synced - F_frozen|| at the
/// step's end in the solver's error norm (1 = at tolerance); its maximum is reported with the counts, and
/// <see cref="EventSettings.FallbackMaxDt"/> bounds the fallback step (the chattering amplitude is about its
/// length times the pre-activation's speed: a first-order approximation of the sliding motion).
/// A pre-activation that crosses 0 and back within one step is not seen (its sign at the end agrees).
/// </summary>
internal sealed class ReluEvents<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly EventSettings _settings;
    private readonly ActivationPattern<T> _pattern = new();
    private readonly List<int> _candidates = [], _crossed = [];   // flat entry indices: op k, element i -> _offsets[k] + i
    private int[] _offsets = [];
    private double[] _lastSwitch = [];
    private T[] _w = [], _fOld = [];
    private readonly List<T[]> _before = [];

    public ReluEvents(EventSettings settings) => _settings = settings;

    /// <summary>The pattern the objective's ReLU ops use while the flow evaluates its field.</summary>
    public ActivationPattern<T> Pattern => _pattern;
    /// <summary>Whether the masks must be re-synchronised with the signs at the next field evaluation.</summary>
    public bool NeedsSync { get; set; } = true;
    /// <summary>Located events (steps ended exactly at a pattern change).</summary>
    public long Events { get; set; }
    /// <summary>Mask entries switched at located events.</summary>
    public long Switches { get; set; }
    /// <summary>Fallback steps (chattering entries: the step accepted as computed, masks re-synchronised).</summary>
    public long FallbackSteps { get; set; }
    /// <summary>Largest estimated extra local error of a fallback step, in the solver's error norm (1 = at tolerance).</summary>
    public double MaxFallbackError { get; set; }
    /// <summary>Forward passes spent on locating events.</summary>
    public long LocatorPasses { get; set; }

    /// <summary>Called after a Sync-mode evaluation: sizes the per-entry bookkeeping to the pattern.</summary>
    public void Layout()
    {
        if (_offsets.Length == _pattern.Count + 1 && _offsets[^1] == _pattern.Entries) return;
        _offsets = new int[_pattern.Count + 1];
        for (int k = 0; k < _pattern.Count; k++) _offsets[k + 1] = checked(_offsets[k] + _pattern.Mask(k).Length);
        _lastSwitch = new double[_offsets[^1]];
        Array.Fill(_lastSwitch, double.NegativeInfinity);
    }

    /// <summary>
    /// Handles events in the step the solver just accepted from t0 (the pattern's pre-activations are those at
    /// its end, from the FSAL evaluation). Returns the time advanced: the full step, or the part up to the
    /// located event after undoing it and retaking it to there.
    /// </summary>
    public double AfterStep(DormandPrince<T> ode, Objective<T> objective, VectorField<T> field, double t0, Span<T> y)
    {
        double h = ode.LastStepSize;
        if (!FindCandidates()) return h;
        if (_w.Length != y.Length) _w = new T[y.Length];
        var (thetaLo, thetaHi) = Bracket(ode, objective, h);
        double tEvent = t0 + thetaHi * h;
        // The entries that have crossed at the bracket's right end (the pattern holds u at W(thetaHi)).
        bool chattering = false;
        _crossed.Clear();
        foreach (int c in _candidates)
        {
            if (!Crossed(c)) continue;
            _crossed.Add(c);
            if (tEvent - _lastSwitch[c] < _settings.MinSeparation) chattering = true;
        }
        if (chattering || _crossed.Count == 0 || !(tEvent > t0))
        {
            // Fallback: keep the step as computed (or retake it no longer than FallbackMaxDt); the flow
            // re-synchronises the masks at its end.
            FallbackSteps++;
            NeedsSync = true;
            FallbackThetaStart = thetaLo;
            if (!(h > _settings.FallbackMaxDt)) return h;
            ode.Rollback(y);
            FallbackThetaStart = 0;
            return ode.Step(field, t0, y, t0 + _settings.FallbackMaxDt);
        }
        ode.Rollback(y);
        double dt = ode.Step(field, t0, y, tEvent);
        if (dt < tEvent - t0) return dt;   // the retaken step fell short (rejected trials): the next step finds the event again
        // NOTE: the retaken step ends within its local error of W(thetaHi), so a switched entry may sit a rounding
        // error on its old side there; the switch is decided on the interpolant, where the entry has crossed.
        foreach (int c in _crossed)
        {
            var (k, i) = Locate(c);
            var mask = _pattern.Mask(k);
            mask[i] = mask[i] > T.Zero ? T.Zero : T.One;
            _lastSwitch[c] = tEvent;
        }
        Events++;
        Switches += _crossed.Count;
        ode.Invalidate();
        return dt;
    }

    /// <summary>The theta from which the last fallback step ran on a wrong mask (the start of its event bracket).</summary>
    public double FallbackThetaStart { get; private set; }

    /// <summary>
    /// When <see cref="NeedsSync"/>: sets every mask from the signs of the pre-activations at (t, y) by a Sync-mode
    /// evaluation of the field, which also becomes the solver's FSAL derivative. After a fallback step of size
    /// <paramref name="h"/> the extra local error (1 - theta*) h ||F_synced - F_frozen|| is estimated in the
    /// solver's error norm and the re-synchronised entries get t as their switch time.
    /// </summary>
    public void Resync(DormandPrince<T> ode, VectorField<T> field, double t, ReadOnlySpan<T> y, double h)
    {
        if (!NeedsSync) return;
        bool fallback = ode.HasDerivative && h > 0 && _pattern.Count > 0;
        if (fallback)
        {
            if (_before.Count != _pattern.Count) { _before.Clear(); for (int k = 0; k < _pattern.Count; k++) _before.Add(new T[_pattern.Mask(k).Length]); }
            for (int k = 0; k < _pattern.Count; k++) _pattern.Mask(k).CopyTo(_before[k], 0);
            if (_fOld.Length != y.Length) _fOld = new T[y.Length];
            ode.Derivative.CopyTo(_fOld);
        }
        _pattern.Mode = PatternMode.Sync;
        try { ode.Invalidate(); ode.EnsureDerivative(field, t, y); }
        finally { _pattern.Mode = PatternMode.Frozen; }
        Layout();
        NeedsSync = false;
        if (!fallback) return;
        var tol = ode.Tolerances;
        var fNew = ode.Derivative;
        double sum = 0, wrong = (1 - FallbackThetaStart) * h;
        for (int i = 0; i < y.Length; i++)
        {
            double scale = tol.AbsoluteTolerance + tol.RelativeTolerance * Math.Abs(double.CreateChecked(y[i]));
            double e = wrong * (double.CreateChecked(fNew[i]) - double.CreateChecked(_fOld[i])) / scale;
            sum += e * e;
        }
        MaxFallbackError = Math.Max(MaxFallbackError, Math.Sqrt(sum / Math.Max(1, y.Length)));
        for (int k = 0; k < _pattern.Count && k < _before.Count; k++)
        {
            var m = _pattern.Mask(k); var b = _before[k];
            if (m.Length != b.Length) continue;
            for (int i = 0; i < m.Length; i++) if (m[i] != b[i]) _lastSwitch[_offsets[k] + i] = t;
        }
    }

    /// <summary>Writes the masks, switch times and counters (for a bit-identical resume).</summary>
    public void Save(IDictionary<string, double[]> state)
    {
        AlgorithmState.Put(state, "flow.events", Events, Switches, FallbackSteps, MaxFallbackError, LocatorPasses, NeedsSync ? 1 : 0);
        var mask = new double[_offsets.Length == 0 ? 0 : _offsets[^1]];
        for (int k = 0; k < _pattern.Count; k++)
        {
            var m = _pattern.Mask(k);
            for (int i = 0; i < m.Length; i++) mask[_offsets[k] + i] = double.CreateChecked(m[i]);
        }
        state["flow.mask"] = mask;
        state["flow.mask_switch"] = (double[])_lastSwitch.Clone();
    }

    /// <summary>Restores what <see cref="Save"/> wrote; the pattern's layout must exist (after a Sync evaluation). Throws naming a mis-sized entry.</summary>
    public void Load(IReadOnlyDictionary<string, double[]> state, string algorithm)
    {
        var c = AlgorithmState.Get(state, algorithm, "flow.events", 6);
        int n = _offsets.Length == 0 ? 0 : _offsets[^1];
        var mask = AlgorithmState.Get(state, algorithm, "flow.mask", n);
        var last = AlgorithmState.Get(state, algorithm, "flow.mask_switch", n);
        Events = (long)c[0]; Switches = (long)c[1]; FallbackSteps = (long)c[2]; MaxFallbackError = c[3]; LocatorPasses = (long)c[4]; NeedsSync = c[5] != 0;
        for (int k = 0; k < _pattern.Count; k++)
        {
            var m = _pattern.Mask(k);
            for (int i = 0; i < m.Length; i++) m[i] = T.CreateChecked(mask[_offsets[k] + i]);
        }
        last.CopyTo(_lastSwitch, 0);
    }

    private bool FindCandidates()
    {
        _candidates.Clear();
        for (int k = 0; k < _pattern.Count; k++)
        {
            var m = _pattern.Mask(k); var u = _pattern.PreActivations(k);
            int off = _offsets[k];
            for (int i = 0; i < m.Length; i++)
                if (m[i] > T.Zero ? u[i] < T.Zero : u[i] > T.Zero) _candidates.Add(off + i);
        }
        return _candidates.Count > 0;
    }

    private (int Op, int Index) Locate(int c)
    {
        int k = Array.BinarySearch(_offsets, c);
        if (k < 0) k = ~k - 1;
        while (k + 1 < _offsets.Length && _offsets[k + 1] <= c) k++;
        return (k, c - _offsets[k]);
    }

    // s_c u_c: positive while the entry is on its mask's side, negative once it has crossed.
    private double Signed(int c)
    {
        var (k, i) = Locate(c);
        double u = double.CreateChecked(_pattern.PreActivations(k)[i]);
        return _pattern.Mask(k)[i] > T.Zero ? u : -u;
    }

    private bool Crossed(int c) => Signed(c) < 0;

    private double Phi()
    {
        double m = double.PositiveInfinity;
        foreach (int c in _candidates) m = Math.Min(m, Signed(c));
        return m;
    }

    private double PhiAt(DormandPrince<T> ode, Objective<T> objective, double theta)
    {
        ode.DenseOutput(theta, _w);
        _w.CopyTo(objective.Model.Flat, 0);
        objective.Evaluate(ReadOnlySpan<int>.Empty, gradient: false);
        LocatorPasses++;
        return Phi();
    }

    // Illinois method on phi over [0, 1]: phi(1) < 0 (candidates have crossed at the end). Returns the final bracket;
    // on return the pattern's pre-activations are those at W(thetaHi).
    private (double Lo, double Hi) Bracket(DormandPrince<T> ode, Objective<T> objective, double h)
    {
        double fb = Phi();                       // at theta = 1 (the FSAL evaluation)
        double a = 0, b = 1;
        double fa = PhiAt(ode, objective, 0);
        if (fa < 0) return (0, 0);   // already across at the start (the pattern holds u at theta = 0): chattering at t0
        int side = 0;
        double tol = _settings.TimeTolerance / h;
        for (int it = 0; it < 200 && b - a > tol; it++)
        {
            double c = fa - fb > 0 ? (a * fb - b * fa) / (fb - fa) : 0.5 * (a + b);
            if (!(c > a && c < b) || it % 8 == 7) c = 0.5 * (a + b);   // safeguard: a bisection now and then
            c = Math.Clamp(c, a + 0.25 * tol, b - 0.25 * tol);
            double fc = PhiAt(ode, objective, c);
            if (fc >= 0) { a = c; fa = fc; if (side == 1) fb *= 0.5; side = 1; }
            else { b = c; fb = fc; if (side == -1) fa *= 0.5; side = -1; }
        }
        PhiAt(ode, objective, b);   // leaves the pre-activations at W(thetaHi) in the pattern
        return (a, b);
    }
}
