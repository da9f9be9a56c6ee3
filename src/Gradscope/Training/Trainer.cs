using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gradscope.Training;

using Gradscope.Data;
using Gradscope.IO;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>
/// The one training loop for every algorithm (THEORY.md section 4): full batch or minibatches
/// (a fresh seeded permutation each epoch, without replacement), the step-size schedule, weight
/// decay, stopping rules, probes at chosen steps (always the first and last), a NaN/Inf guard,
/// and checkpoints from which a resumed run continues bit for bit. The step loop allocates nothing.
/// </summary>
public sealed class Trainer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Rng _orderRng;
    private readonly Schedule _schedule;
    private readonly ProbeSchedule _probeSchedule;
    private readonly bool _expType;
    private readonly ProbeEvaluation<T> _trainEval;
    private readonly ProbeEvaluation<T>? _testEval;
    private int[] _order = [];
    private int _cursor;
    private long _epoch;
    private long _step;
    private double _time;
    private double _wallOffset;
    private double _lastStepFraction = double.NaN;

    /// <summary>Builds data, model (initialized), algorithm and objective from <paramref name="config"/> (validated first).</summary>
    public Trainer(TrainConfig config)
    {
        config.Validate();
        // A relative data file path still left (a config parsed from text or built in code) means the working directory:
        // made absolute here, the run's config.yaml reads the same data from anywhere.
        var resolved = config.Data.ResolveFiles(Environment.CurrentDirectory);
        Config = ReferenceEquals(resolved, config.Data) ? config : config with { Data = resolved };
        var master = new Rng(config.Seed);
        var dataRng = master.Fork();
        var initRng = master.Fork();
        _orderRng = master.Fork();
        var data = TrainerData.LoadAll(config, dataRng);
        (Train, Validation, Test, DataIndices) = (data.Train, data.Validation, data.Test, data.Indices);
        Model = TrainerModels.Build<T>(config, Train, initRng);
        var loss = Loss.Parse(config.Loss.Kind);
        _expType = Loss.IsExponentialType(loss);
        Algorithm = TrainerAlgorithms.Create<T>(config, Model.Flat);
        Objective = new Objective<T>(Model, Train, loss, config.Loss.TargetScale);
        _schedule = new Schedule(config.Schedule.Kind, config.Algorithm.Eta, config.Schedule.Factor, config.Schedule.Every,
            config.Schedule.Total ?? config.Stop.Steps ?? 1, config.Schedule.MinEta);
        _probeSchedule = new ProbeSchedule(config.Probes.Every, config.Probes.PerDecade);
        _trainEval = new ProbeEvaluation<T>(Model, Train, loss, config.Loss.TargetScale);
        if (Test is not null)
        {
            if (Test.Classes != Train.Classes) throw config.Error("data.test", $"has {Test.Classes} classes but the training set has {Train.Classes}");
            _testEval = new ProbeEvaluation<T>(Model, Test, loss, config.Loss.TargetScale);
        }
        Probes.Add(new CoreProbe<T>(Model.Weights.Count, Test is not null));
        BatchSize = config.Algorithm.BatchSize > 0 ? Math.Min(config.Algorithm.BatchSize, Train.N) : 0;
        if (BatchSize > 0) { _order = Enumerable.Range(0, Train.N).ToArray(); _cursor = Train.N; }
    }

    /// <summary>The configuration.</summary>
    public TrainConfig Config { get; }
    /// <summary>Training set (after transforms).</summary>
    public Dataset Train { get; }
    /// <summary>Test set, or null.</summary>
    public Dataset? Test { get; }
    /// <summary>Validation set (the <c>data.split</c> validation part), or null.</summary>
    public Dataset? Validation { get; }
    /// <summary>The exact source rows of the train, validation and test sets (written to the run directory).</summary>
    public DataIndices DataIndices { get; }
    /// <summary>The model being trained.</summary>
    public Sequential<T> Model { get; }
    /// <summary>The algorithm.</summary>
    public Algorithm<T> Algorithm { get; }
    /// <summary>The training objective the algorithm steps on.</summary>
    public Objective<T> Objective { get; }
    /// <summary>Minibatch size (0: full batch).</summary>
    public int BatchSize { get; }
    /// <summary>Probes run at probe steps, in order (the built-in <see cref="CoreProbe{T}"/> first); add more before <see cref="Run"/>.</summary>
    public List<IProbe<T>> Probes { get; } = [];
    /// <summary>Steps taken so far.</summary>
    public long Step => _step;
    /// <summary>Continuous time t so far.</summary>
    public double Time => _time;

    /// <summary>
    /// The next minibatch: the next <see cref="BatchSize"/> indices of the current epoch's permutation
    /// (the last batch of an epoch is shorter when B does not divide n); reshuffles when an epoch ends.
    /// Empty for full batch.
    /// </summary>
    public ReadOnlySpan<int> NextBatch()
    {
        if (BatchSize == 0) return ReadOnlySpan<int>.Empty;
        if (_cursor >= _order.Length)
        {
            _orderRng.Shuffle(_order.AsSpan());
            _cursor = 0;
            _epoch++;
        }
        int b = Math.Min(BatchSize, _order.Length - _cursor);
        var batch = new ReadOnlySpan<int>(_order, _cursor, b);
        _cursor += b;
        return batch;
    }

    /// <summary>Runs the session; see <see cref="TrainerRunOptions"/>. Returns the result (status NonFinite when the guard fired).</summary>
    public TrainerResult Run(TrainerRunOptions? options = null)
    {
        options ??= new TrainerRunOptions();
        Parallelism.Threads = Config.Threads;
        string? dir = options.RunDirectory;
        string hash = TrainConfigWriter.Hash(Config);
        TrainerMetrics? metrics = null;
        var rows = new List<IReadOnlyDictionary<string, double>>();
        var row = new MetricRow();
        var context = new ProbeContext<T>(Model, _trainEval, _testEval);
        var header = Probes.SelectMany(p => p.Keys).Distinct().ToList();
        bool resumed = false;
        long probedAt = -1;          // the step of the last metrics row written (-1: none)
        string? finishedBy = null;   // set when resuming from a run's final checkpoint
        if (options.Resume)
        {
            if (dir is null) throw new ArgumentException("Resume needs a run directory.");
            var state = Checkpoint.Load(dir, TrainConfigWriter.Hashes(Config));
            Restore(state, dir);
            // checked before the metrics files are opened (and cut back to the checkpoint): a refused resume changes nothing
            if (_trainEval.IsOperator.Any(x => x) && TrainerMetrics.HasOldNames(dir, header))
            {
                throw new InvalidDataException($"'{dir}': metrics.csv was written with the old column names, whose fro[NAME] of a conv or locally connected layer held the kernel norm ||w_k||_F; "
                    + "this version records the operator's ||T_k||_F (layer.{k}.frobenius), so the run cannot continue in the same columns; start a new run (the old one stays readable).");
            }
            metrics = new TrainerMetrics(dir, header, state.MetricsLengths);
            Checkpoint.CleanOrphans(dir, state.Step, Config.Probes.KeepCheckpoints);
            probedAt = state.LastProbeStep;
            finishedBy = state.StopReason;
            resumed = true;
            Log(dir, $"resumed at step {_step} (t = {_time:R})" + (finishedBy is null ? "" : $", after the final checkpoint (stop rule: {finishedBy})"));
        }
        else if (dir is not null)
        {
            Directory.CreateDirectory(dir);
            AtomicFile.WriteText(Path.Combine(dir, "config.yaml"), string.Concat(options.ConfigProvenance.Select(l => $"# {l}\n")) + TrainConfigWriter.ToYaml(Config));
            AtomicFile.WriteText(Path.Combine(dir, DataIndices.FileName), DataIndices.ToJson());
            metrics = new TrainerMetrics(dir, header, null);
            Log(dir, $"started: {Config.Algorithm.Name} on {Train.Name} ({Train.N} samples), {Model.ParameterCount} parameters, {Config.DType}, seed {Config.Seed}, threads {Config.Threads}");
        }
        Algorithm.Initialize(Objective);

        var clock = Stopwatch.StartNew();
        double Wall() => _wallOffset + clock.Elapsed.TotalSeconds;
        // append: false recomputes the values of a row already written (a resume after the final checkpoint needs them for final.json).
        void Probe(bool last, bool append = true)
        {
            _trainEval.Run();
            _testEval?.Run();
            GuardEvaluation();
            context.Step = _step; context.Time = _time; context.WallSeconds = Wall(); context.IsLast = last;
            row.Clear();
            foreach (var p in Probes) p.Measure(context, row);
            if (!append) return;
            var copy = new Dictionary<string, double>(row.Keys.Count);
            foreach (var k in row.Keys) copy[k] = row.Get(k)!.Value;
            rows.Add(copy);
            metrics?.Append(row);
            probedAt = _step;
            options.Progress?.Invoke(new TrainerProgress(_step, Config.Stop.Steps, _time, Config.Stop.Time, _trainEval.L, _trainEval.LogL, _trainEval.Accuracy));
        }
        // A checkpoint records the last row written and, for the final one, the stop rule: a resume after it
        // neither steps again nor writes the final row twice.
        void SaveCheckpoint(string? stopReason)
        {
            if (dir is null) return;
            var state = CaptureState(Wall(), metrics!.Lengths) with { LastProbeStep = probedAt, StopReason = stopReason };
            Checkpoint.Save(dir, hash, state, Config.Probes.KeepCheckpoints);
        }

        try
        {
            if (!resumed) { Probe(last: false); SaveCheckpoint(null); }
            string? reason = finishedBy;
            bool full = BatchSize == 0;
            var stop = Config.Stop;
            double wd = Config.Algorithm.WeightDecay;
            long progressEvery = options.ProgressEvery;
            var lastEval = default(LossEval);
            // a loss target with a straight-segment step: the run ends where the loss crosses the target (LossTargetLanding)
            var landing = full && stop.Loss is not null && Algorithm.StepsAlongSegment ? new LossTargetLanding<T>(Model.Flat.Length) : null;
            double landTarget = 0, landTolerance = 0;
            if (landing is not null)
            {
                landTarget = _expType ? Math.Log(stop.Loss!.Value) : stop.Loss!.Value;
                landTolerance = LossTargetLanding<T>.RelativeTolerance * (_expType ? 1 : stop.Loss!.Value);
            }
            double Measure() { _trainEval.Run(); return _expType ? _trainEval.LogL : _trainEval.L; }
            while (reason is null)
            {
                reason = stop.CheckBudget(_step, _time);
                if (reason is not null) break;
                if (options.StopAfterSteps is long limit && _step >= limit || options.Cancellation.IsCancellationRequested)
                {
                    SaveCheckpoint(null);
                    metrics?.Dispose();
                    if (dir is not null) Log(dir, $"interrupted at step {_step}");
                    return Result(TrainerStatus.Interrupted, "interrupted", Wall(), rows, row);
                }
                var batch = NextBatch();
                // dropout masks are a function of (seed, layer, step, draw): a resumed run draws the uninterrupted run's masks
                Model.SetMaskClock(Config.Seed, _step);
                landing?.BeforeStep(Model.Flat, _time);
                var r = Algorithm.Step(Objective, batch, new StepContext(_step, _schedule.At(_step), wd));
                lastEval = r.Before;
                Guard(r.Before);
                _step++;
                _time += r.TimeAdvanced;

                if (full && stop.NeedsLoss) reason = stop.CheckLoss(r.Before.L, r.Before.LogL, r.Before.Accuracy, _expType);
                if (reason == "loss" && landing is not null)
                {
                    // L(W_k) met the target and the step moved on to W_k+1: go back to the crossing between W_k-1 and W_k
                    _step--;
                    (_lastStepFraction, _time) = landing.LandBeforeStep(Model.Flat, Measure, landTarget, landTolerance);
                }
                else if (reason is null && landing is not null && _probeSchedule.Contains(_step) && stop.LossReached(Measure(), _expType))
                {
                    // the probe of W_k+1 is below the target: the crossing lies on this step (never write a row past it)
                    reason = "loss";
                    (_lastStepFraction, _time) = landing.LandAfterStep(Model.Flat, Measure, landTarget, landTolerance, _time);
                }
                if (reason is null && (stop.NeedsMargin || (!full && stop.NeedsLoss)) && _step % stop.CheckEvery == 0)
                {
                    _trainEval.Run();
                    reason = stop.CheckLoss(_trainEval.L, _trainEval.LogL, _trainEval.Accuracy, _expType) ?? stop.CheckMargin(_trainEval.MinMargin, _trainEval.Gamma);
                }
                reason ??= stop.CheckBudget(_step, _time);
                bool isLast = reason is not null;
                if (!isLast && _probeSchedule.Contains(_step)) Probe(last: false);
                else if (progressEvery > 0 && _step % progressEvery == 0 && options.Progress is { } progress)
                    progress(new TrainerProgress(_step, stop.Steps, _time, stop.Time, lastEval.L, lastEval.LogL, lastEval.Accuracy));
                if (!isLast && Config.Probes.CheckpointEvery > 0 && _step % Config.Probes.CheckpointEvery == 0) SaveCheckpoint(null);
            }
            if (probedAt != _step) Probe(last: true);
            else if (rows.Count == 0) Probe(last: true, append: false);
            if (finishedBy is null) SaveCheckpoint(reason);
            var result = Result(TrainerStatus.Completed, reason, Wall(), rows, row);
            if (dir is not null)
            {
                StateDict.Save(Model, Path.Combine(dir, "model.safetensors"));
                WriteFinal(dir, result);
                Log(dir, $"completed at step {_step} (t = {_time:R}), stop rule: {reason}");
            }
            return result;
        }
        catch (TrainerNonFiniteException e)
        {
            var result = Result(TrainerStatus.NonFinite, e.Message, Wall(), rows, row);
            if (dir is not null)
            {
                WriteFinal(dir, result);
                Log(dir, "stopped: " + e.Message + " (the last good checkpoint is kept)");
            }
            return result;
        }
        finally { metrics?.Dispose(); }
    }

    // NaN/Inf guard: the loss of the step, then the gradient it used and the weights it produced.
    // A non-finite sum flags a possible NaN/Inf (or an overflowing sum); the scan then names the tensor.
    private void Guard(in LossEval before)
    {
        bool badLoss = double.IsNaN(before.L) || double.IsNaN(before.LogL) || double.IsPositiveInfinity(before.LogL)
            || (double.IsInfinity(before.L) && !_expType);
        if (badLoss)
            throw new TrainerNonFiniteException($"non-finite loss at step {_step}: L = {before.L}, log L = {before.LogL}", _step, "loss");
        if (!T.IsFinite(TensorPrimitives.Sum<T>(Model.FlatGrad))) Locate(Model.FlatGrad, "gradient");
        if (!T.IsFinite(TensorPrimitives.Sum<T>(Model.Flat))) Locate(Model.Flat, "weight");
    }

    // The same guard for a probe's full evaluation (the final probe follows no step of its own), and for
    // the weights it evaluates: a non-finite loss is never written as a completed run's result.
    private void GuardEvaluation()
    {
        double l = _trainEval.L, logL = _trainEval.LogL;
        if (double.IsNaN(l) || double.IsNaN(logL) || double.IsPositiveInfinity(logL) || (double.IsInfinity(l) && !_expType))
            throw new TrainerNonFiniteException($"non-finite loss at step {_step} (full evaluation): L = {l}, log L = {logL}", _step, "loss");
        if (!T.IsFinite(TensorPrimitives.Sum<T>(Model.Flat))) Locate(Model.Flat, "weight");
    }

    private void Locate(T[] values, string what)
    {
        foreach (var p in Model.NamedParameters)
        {
            var s = values.AsSpan(p.Offset, p.Value.Length);
            for (int i = 0; i < s.Length; i++)
                if (!T.IsFinite(s[i]))
                    throw new TrainerNonFiniteException($"non-finite {what} at step {_step}: {what} of parameter '{p.Name}' holds {s[i]} at flat index {i}", _step, $"{what} {p.Name}");
        }
    }

    private TrainerResult Result(TrainerStatus status, string? reason, double wall, List<IReadOnlyDictionary<string, double>> rows, MetricRow last)
    {
        var final = new Dictionary<string, double>();
        foreach (var k in last.Keys) final[k] = last.Get(k)!.Value;
        final["train_loss"] = _trainEval.L;
        final["train_log_loss"] = _trainEval.LogL;
        final["train_error"] = 1 - _trainEval.Accuracy;
        if (_testEval is not null) final["test_error"] = 1 - _testEval.Accuracy;
        final["steps"] = _step;
        final["time"] = _time;
        final["wall_s"] = wall;
        if (!double.IsNaN(_lastStepFraction)) final["last_step_fraction"] = _lastStepFraction;
        Algorithm.AddDiagnostics(final);
        return new TrainerResult
        {
            Status = status, Reason = reason, Steps = _step, Time = _time, WallSeconds = wall, Final = final, Rows = rows,
            TrainAccuracy = _trainEval.Accuracy, TestAccuracy = _testEval?.Accuracy,
        };
    }

    private static void WriteFinal(string dir, TrainerResult result)
    {
        var o = new JsonObject();
        foreach (var (k, v) in result.Final) o[k] = double.IsFinite(v) ? JsonValue.Create(v) : null;
        o["status"] = result.Status switch { TrainerStatus.Completed => "completed", TrainerStatus.NonFinite => "non_finite", _ => "interrupted" };
        o["reason"] = result.Reason;
        AtomicFile.WriteText(Path.Combine(dir, "final.json"), o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    internal static void Log(string dir, string line) =>
        File.AppendAllText(Path.Combine(dir, "log.txt"), $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss}Z {line}\n");

    /// <summary>The complete state for a checkpoint.</summary>
    public TrainerState CaptureState(double wallSeconds, (long Csv, long Jsonl) metricsLengths)
    {
        var alg = new Dictionary<string, double[]>();
        Algorithm.SaveState(alg);
        return new TrainerState
        {
            Step = _step, Time = _time, WallSeconds = wallSeconds, Epoch = _epoch, Cursor = _cursor,
            Order = (int[])_order.Clone(), Rng = _orderRng.State,
            Weights = StateDict.From(Model), AlgorithmState = alg, MetricsLengths = metricsLengths,
        };
    }

    /// <summary>Restores a checkpointed state (weights, algorithm, order, RNG, counters); throws naming what does not fit.</summary>
    public void Restore(TrainerState s, string source)
    {
        if (s.Order.Length != _order.Length)
            throw new InvalidDataException($"'{source}': checkpoint has a sample order of length {s.Order.Length}, this run needs {_order.Length}.");
        if (s.Order.Length > 0)
        {
            var seen = new bool[s.Order.Length];
            foreach (int i in s.Order) { if (seen[i]) throw new InvalidDataException($"'{source}': checkpoint sample order repeats index {i}."); seen[i] = true; }
        }
        if (s.Cursor < 0 || s.Cursor > Math.Max(s.Order.Length, 0) && s.Order.Length > 0)
            throw new InvalidDataException($"'{source}': checkpoint cursor {s.Cursor} is outside the order of {s.Order.Length}.");
        StateDict.Load(Model, s.Weights, source);
        Algorithm.LoadState(s.AlgorithmState);
        s.Order.CopyTo(_order, 0);
        _cursor = s.Order.Length == 0 ? 0 : s.Cursor;
        _epoch = s.Epoch; _step = s.Step; _time = s.Time; _wallOffset = s.WallSeconds;
        _orderRng.State = s.Rng;
    }
}
