using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gradscope.Measures.PacBayes;

using Gradscope.Data;
using Gradscope.Tensors;

/// <summary>
/// The posterior optimization of Dziugaite &amp; Roy 2017 one step at a time, in float32 as the paper's
/// TensorFlow 1 code (<see cref="PosteriorOptimizer{T}"/> describes the objective), with every buffer allocated
/// once: a step allocates nothing. State theta = (w, log s) of the posterior Q = N(w, diag(s^2)) and
/// log lambda^(1/2) of the prior N(w0, lambda I) (double).
/// A step: (1) the minibatch loss and its gradient g at the sampled weights w~ = w + s o eps
/// (<see cref="MlpLogisticF32"/>); (2) the KL and B_RE from sums over the parameters kept from the last pass;
/// (3) ONE fused pass over the parameters that forms dL/dw = g/ln 2 + c (w - w0)/lambda and
/// dL/dlog s = (g/ln 2) eps s + c (s^2/lambda - 1) (c = dR/dKL), applies the step rule, draws the next step's
/// noise (<see cref="CounterNormals"/>), writes the next w~ and accumulates the next step's sums
/// (sum s^2, sum (w - w0)^2, sum log s, sum s). The pass runs in fixed blocks of 4,096 parameters whose sums
/// are added in block order, and the noise depends only on (seed, step, index), so results are bit-identical
/// for a seed whatever the thread count.
/// </summary>
public sealed class PosteriorSteps
{
    private const int Block = 4096;
    private static readonly double InvLn2 = 1 / Math.Log(2);

    private readonly PosteriorOptions _o;
    private readonly Dataset _data;
    private readonly MlpLogisticF32 _net;
    private readonly LambdaGrid _grid;
    private readonly int _d, _dPad, _blocks, _n;
    private readonly double _conf;
    private readonly float[] _theta;      // w (dPad) then log s (dPad)
    private readonly float[] _w0;
    private readonly float[] _eps, _wTilde, _grad;
    private readonly float[] _stateA, _stateB;   // RMSprop: mean square; Adam: first and second moments (theta layout)
    private readonly double[] _partials;         // 4 sums per block
    private readonly int[] _order, _labels;
    private readonly Rng _batchRng;
    private readonly ulong _noiseKey, _noiseStride;
    private readonly Action<int, int> _pass;
    private double _logLambdaHalf, _lhA, _lhB;
    private int _cursor;
    // the pass's inputs
    private bool _update;
    private float[]? _gradientOut;
    private float _lrW, _lrS, _coef, _invLambda, _invC2;
    private ulong _key;

    /// <summary>The state at the trained weights <paramref name="trained"/> with prior mean <paramref name="w0"/> (both in the layout's flat order); draws step 0's noise.</summary>
    public PosteriorSteps(MlpLayout layout, Dataset train, ReadOnlySpan<double> w0, ReadOnlySpan<double> trained, PosteriorOptions options)
    {
        options.Validate();
        int d = layout.ParameterCount;
        if (w0.Length != d || trained.Length != d)
            throw new ArgumentException($"PAC-Bayes posterior: the prior mean ({w0.Length}) and the trained weights ({trained.Length}) must have the model's {d} parameters.");
        if (train.D != layout.Inputs) throw new ArgumentException($"PAC-Bayes posterior: dataset '{train.Name}' has {train.D} features, the first layer expects {layout.Inputs}.");
        if (train.N < 2) throw new ArgumentException("PAC-Bayes posterior: at least two training examples are needed (B_RE divides by n - 1).");
        _o = options; _data = train; _n = train.N; _d = d;
        _dPad = (d + 31) / 32 * 32;
        _blocks = (_dPad + Block - 1) / Block;
        _net = new MlpLogisticF32(layout, Math.Min(options.BatchSize, _n));
        _grid = new LambdaGrid(options.GridC, options.GridB, options.GridMaxJ);
        _conf = BoundTerm.Confidence(_n, options.Delta);
        _theta = new float[2 * _dPad]; _w0 = new float[_dPad];
        _eps = new float[_dPad]; _wTilde = new float[_dPad]; _grad = new float[_dPad];
        _stateA = new float[2 * _dPad]; _stateB = new float[2 * _dPad];
        if (options.Optimizer == PosteriorOptimizerKind.RmsProp) Array.Fill(_stateA, 1f);
        _partials = new double[4 * _blocks];
        for (int i = 0; i < d; i++)
        {
            _theta[i] = (float)trained[i];
            _theta[_dPad + i] = (float)Math.Log(PosteriorOptimizer<double>.InitialSigma(options, trained[i]));
            _w0[i] = (float)w0[i];
        }
        _logLambdaHalf = 0.5 * Math.Log(options.InitialLambda);
        _lhA = options.Optimizer == PosteriorOptimizerKind.RmsProp ? 1 : 0;
        _order = new int[_n];
        for (int i = 0; i < _n; i++) _order[i] = i;
        _cursor = _n;
        _labels = new int[Math.Min(options.BatchSize, _n)];
        _batchRng = new Rng(options.Seed);
        _noiseKey = new Rng(options.Seed ^ 0x5EED_0F_A015EUL).NextUInt64();
        _noiseStride = CounterNormals.CountersFor(_dPad);
        _pass = Pass;
        _update = false; _key = _noiseKey;
        Parallelism.For(_blocks, _pass);
        Sums();
    }

    /// <summary>Steps taken.</summary>
    public int Step { get; private set; }
    /// <summary>Number of parameters d.</summary>
    public int Parameters => _d;
    /// <summary>The last step's objective e_surr + sqrt(B_RE / 2) (before its update; NaN before the first step).</summary>
    public double Objective { get; private set; } = double.NaN;
    /// <summary>The last step's surrogate loss (mean logistic loss / ln 2 of its minibatch at its weight sample).</summary>
    public double Surrogate { get; private set; } = double.NaN;
    /// <summary>KL(Q || N(w0, lambda I)) at the current state (from the last pass's sums, in float32 blocks).</summary>
    public double Kl => 0.5 * (SumQuad / Lambda - _d + _d * 2 * _logLambdaHalf - 2 * SumLogS);
    /// <summary>The current prior variance lambda.</summary>
    public double Lambda => Math.Exp(2 * _logLambdaHalf);
    /// <summary>||w - w0|| at the current state.</summary>
    public double DistanceFromInit => Math.Sqrt(SumDw2);
    /// <summary>Mean posterior standard deviation at the current state.</summary>
    public double MeanSigma => SumS / _d;
    private double SumS2 { get; set; }
    private double SumDw2 { get; set; }
    private double SumLogS { get; set; }
    private double SumS { get; set; }
    private double SumQuad => SumS2 + SumDw2;

    /// <summary>The learning rate of w at step <paramref name="step"/> (dropped after the set fraction of the steps).</summary>
    public double LearningRateAt(int step) => _o.LearningRate * (step < (int)Math.Round(_o.LearningRateDropAt * _o.Iterations) ? 1 : _o.LearningRateDropFactor);

    /// <summary>One optimization step on the next minibatch; throws InvalidOperationException when the objective is not finite (divergence).</summary>
    public void Next()
    {
        int b = _labels.Length;
        if (_cursor + b > _n) { _batchRng.Shuffle(_order.AsSpan()); _cursor = 0; }
        var rows = _order.AsSpan(_cursor, b); _cursor += b;
        double gLh = Gradients(rows);
        double drop = LearningRateAt(Step) / _o.LearningRate;
        double lrW = _o.LearningRate * drop, lrS = (_o.SigmaLearningRate ?? _o.LearningRate) * drop;
        int t = Step + 1;
        double c1 = 1, c2 = 1;
        if (_o.Optimizer == PosteriorOptimizerKind.Adam)
        {
            c1 = 1 - Math.Pow(0.9, t); c2 = 1 - Math.Pow(0.999, t);
            _lhA = 0.9 * _lhA + 0.1 * gLh; _lhB = 0.999 * _lhB + 0.001 * gLh * gLh;
            _logLambdaHalf -= lrS * (_lhA / c1) / (Math.Sqrt(_lhB / c2) + 1e-8);
        }
        else
        {
            _lhA = 0.9 * _lhA + 0.1 * gLh * gLh;
            _logLambdaHalf -= lrS * gLh / Math.Sqrt(_lhA + 1e-10);
        }
        _lrW = (float)(lrW / c1); _lrS = (float)(lrS / c1); _invC2 = (float)(1 / c2);
        _update = true; _gradientOut = null;
        _key = _noiseKey + (ulong)t * _noiseStride;
        Parallelism.For(_blocks, _pass);
        Sums();
        Step = t;
    }

    /// <summary>
    /// Loss, KL term and the pass's coefficients at the current state for the minibatch <paramref name="rows"/>;
    /// sets <see cref="Objective"/> and <see cref="Surrogate"/>, returns d objective / d log lambda^(1/2).
    /// </summary>
    private double Gradients(ReadOnlySpan<int> rows)
    {
        int b = rows.Length, din = _data.D;
        var input = _net.Input(b);
        var x = _data.X;
        for (int k = 0; k < b; k++)
        {
            int r = rows[k];
            var src = x.AsSpan(r * din, din);
            var dst = input.Slice(k * din, din);
            for (int j = 0; j < din; j++) dst[j] = (float)src[j];
            _labels[k] = _data.Y[r];
        }
        double loss = _net.LossAndGradient(_wTilde.AsSpan(0, _d), _labels.AsSpan(0, b), _grad.AsSpan(0, _d));
        double lambda = Lambda, kl = Kl;
        double jc = _grid.ContinuousIndex(lambda);
        double numerator = kl + 2 * Math.Log(Math.Max(jc, 1)) + _conf;
        double term = Math.Sqrt(Math.Max(numerator, 0) / (2.0 * (_n - 1)));
        double coef = term > 0 ? 1 / (4 * term * (_n - 1)) : 0;    // dR / d numerator
        Surrogate = loss * InvLn2;
        Objective = Surrogate + term;
        if (!double.IsFinite(Objective))
            throw new InvalidOperationException($"PAC-Bayes posterior optimization diverged at step {Step}: the objective is {Objective} (surrogate {Surrogate}, KL {kl}). Try a smaller learning rate.");
        _coef = (float)coef; _invLambda = (float)(1 / lambda);
        double dUnion = jc > 1 ? -2 * _grid.B / jc : 0;
        return 2 * coef * (0.5 * (_d - SumQuad / lambda) + dUnion);
    }

    /// <summary>
    /// For tests: the objective's gradient at the current state and noise on the minibatch <paramref name="rows"/>
    /// (dL/dw, dL/dlog s and dL/dlog lambda^(1/2)), computed by the same pass as a step but without updating.
    /// </summary>
    internal double GradientAt(ReadOnlySpan<int> rows, Span<double> gradW, Span<double> gradLogS, out double gradLogLambdaHalf)
    {
        gradLogLambdaHalf = Gradients(rows);
        _gradientOut ??= new float[2 * _dPad];
        _update = false;
        _key = _noiseKey + (ulong)Step * _noiseStride;   // the same noise again: the state is unchanged
        Parallelism.For(_blocks, _pass);
        for (int i = 0; i < _d; i++) { gradW[i] = _gradientOut[i]; gradLogS[i] = _gradientOut[_dPad + i]; }
        _gradientOut = null;
        return Objective;
    }

    /// <summary>The current noise eps (d entries) of the next step's weight sample w~ = w + s o eps.</summary>
    internal ReadOnlySpan<float> Noise => _eps.AsSpan(0, _d);
    /// <summary>The current sampled weights w~ (d entries).</summary>
    internal ReadOnlySpan<float> SampledWeights => _wTilde.AsSpan(0, _d);
    /// <summary>The posterior means w (float32, d entries).</summary>
    internal ReadOnlySpan<float> Means => _theta.AsSpan(0, _d);
    /// <summary>The posterior log standard deviations (float32, d entries).</summary>
    internal ReadOnlySpan<float> LogSigmas => _theta.AsSpan(_dPad, _d);
    /// <summary>log lambda^(1/2) of the prior.</summary>
    internal double LogLambdaHalf => _logLambdaHalf;

    /// <summary>The posterior N(W, diag(S^2)) in double (S = exp(log s) computed in double from the float32 state) and lambda.</summary>
    public PosteriorResult Result()
    {
        var w = new double[_d]; var s = new double[_d];
        for (int i = 0; i < _d; i++) { w[i] = _theta[i]; s[i] = Math.Exp(_theta[_dPad + i]); }
        return new PosteriorResult(w, s, Lambda, Objective, Step);
    }

    private void Sums()
    {
        double s2 = 0, dw2 = 0, ls = 0, s = 0;
        for (int k = 0; k < _blocks; k++) { s2 += _partials[4 * k]; dw2 += _partials[4 * k + 1]; ls += _partials[4 * k + 2]; s += _partials[4 * k + 3]; }
        SumS2 = s2; SumDw2 = dw2; SumLogS = ls; SumS = s;
    }

    /// <summary>The fused pass over blocks [b0, b1) of part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    private void Pass(int part, int parts)
    {
        var (b0, b1) = Parallelism.Range(_blocks, part, parts);
        for (int blk = b0; blk < b1; blk++)
        {
            int start = blk * Block, end = Math.Min(start + Block, _dPad);
            var acc = new Accumulators();
            for (int i = start; i < end; i += 32)
            {
                var (n1, n2) = CounterNormals.Group(_key, i / 32);
                Half(i, n1, ref acc);
                Half(i + 16, n2, ref acc);
            }
            if (_gradientOut is not null) continue;   // a gradient-only pass leaves the state and its sums alone
            _partials[4 * blk] = Sum(acc.S2); _partials[4 * blk + 1] = Sum(acc.Dw2);
            _partials[4 * blk + 2] = Sum(acc.LogS); _partials[4 * blk + 3] = Sum(acc.S);
        }
    }

    private struct Accumulators { public Vector512<float> S2, Dw2, LogS, S; }

    private static double Sum(Vector512<float> v)
    {
        double s = 0;
        for (int k = 0; k < Vector512<float>.Count; k++) s += v[k];
        return s;
    }

    /// <summary>Sixteen parameters at index j: gradient, step rule (when updating), next noise and sample, sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Half(int j, Vector512<float> noise, ref Accumulators acc)
    {
        int dp = _dPad;
        var live = Vector512.LessThan(Vector512.Create(j) + Vector512<int>.Indices, Vector512.Create(_d)).AsSingle();
        var w = Vector512.LoadUnsafe(ref _theta[0], (nuint)j);
        var ls = Vector512.LoadUnsafe(ref _theta[0], (nuint)(dp + j));
        var w0 = Vector512.LoadUnsafe(ref _w0[0], (nuint)j);
        if (_update || _gradientOut is not null)
        {
            var s = FastMath512.Exp(ls);
            var g = Vector512.LoadUnsafe(ref _grad[0], (nuint)j) * Vector512.Create((float)InvLn2);
            var e = Vector512.LoadUnsafe(ref _eps[0], (nuint)j);
            var coef = Vector512.Create(_coef); var invLambda = Vector512.Create(_invLambda);
            var gw = g + coef * (w - w0) * invLambda;
            var gs = Vector512.ConditionalSelect(live, g * e * s + coef * (s * s * invLambda - Vector512<float>.One), Vector512<float>.Zero);
            if (_gradientOut is not null)
            {
                gw.StoreUnsafe(ref _gradientOut[0], (nuint)j);
                gs.StoreUnsafe(ref _gradientOut[0], (nuint)(dp + j));
                return;
            }
            w = StepRule(w, gw, j, _lrW);
            ls = StepRule(ls, gs, dp + j, _lrS);
            w.StoreUnsafe(ref _theta[0], (nuint)j);
            ls.StoreUnsafe(ref _theta[0], (nuint)(dp + j));
        }
        var sNext = Vector512.ConditionalSelect(live, FastMath512.Exp(ls), Vector512<float>.Zero);
        noise.StoreUnsafe(ref _eps[0], (nuint)j);
        (w + sNext * noise).StoreUnsafe(ref _wTilde[0], (nuint)j);
        var dw = w - w0;
        acc.S2 += sNext * sNext; acc.Dw2 += dw * dw; acc.LogS += ls; acc.S += sNext;
    }

    /// <summary>
    /// RMSprop as TensorFlow 1 (ms = 0.9 ms + 0.1 g^2, x -= lr g / sqrt(ms + 1e-10)) or Adam (beta 0.9, 0.999,
    /// eps 1e-8; lr already divided by 1 - beta1^t, _invC2 = 1 / (1 - beta2^t)) on sixteen entries at index k.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<float> StepRule(Vector512<float> x, Vector512<float> g, int k, float lr)
    {
        var a = Vector512.LoadUnsafe(ref _stateA[0], (nuint)k);
        if (_o.Optimizer == PosteriorOptimizerKind.RmsProp)
        {
            a = Vector512.Create(0.9f) * a + Vector512.Create(0.1f) * g * g;
            a.StoreUnsafe(ref _stateA[0], (nuint)k);
            return x - Vector512.Create(lr) * g / Vector512.Sqrt(a + Vector512.Create(1e-10f));
        }
        var v = Vector512.LoadUnsafe(ref _stateB[0], (nuint)k);
        a = Vector512.Create(0.9f) * a + Vector512.Create(0.1f) * g;
        v = Vector512.Create(0.999f) * v + Vector512.Create(0.001f) * g * g;
        a.StoreUnsafe(ref _stateA[0], (nuint)k);
        v.StoreUnsafe(ref _stateB[0], (nuint)k);
        return x - Vector512.Create(lr) * a / (Vector512.Sqrt(v * Vector512.Create(_invC2)) + Vector512.Create(1e-8f));
    }
}
