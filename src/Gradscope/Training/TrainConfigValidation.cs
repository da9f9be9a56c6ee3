namespace Gradscope.Training;

/// <summary>Checks of impossible values in a <see cref="TrainConfig"/>; every error names the key (and the line for YAML configs).</summary>
internal static class TrainConfigValidation
{
    public static void Validate(TrainConfig c)
    {
        if (!TrainConfig.DTypes.Contains(c.DType)) throw c.Error("dtype", $"must be one of {string.Join(", ", TrainConfig.DTypes)}, got '{c.DType}'");
        if (c.Threads < 1) throw c.Error("threads", $"must be >= 1, got {c.Threads}");

        var m = c.Model;
        if (m.Mlp is null == m.Layers is null) throw c.Error("model", "needs exactly one of mlp or layers");
        if (m.Mlp is { } mlp)
        {
            if (mlp.Widths.Length < 2) throw c.Error("model.mlp.widths", $"needs at least [input, output], got {mlp.Widths.Length} entries");
            for (int i = 0; i < mlp.Widths.Length; i++)
                if (mlp.Widths[i] < 1) throw c.Error("model.mlp.widths", $"entries must be >= 1, got {mlp.Widths[i]} at index {i}");
            if (!MlpConfig.Activations.Contains(mlp.Activation)) throw c.Error("model.mlp.activation", $"must be one of {string.Join(", ", MlpConfig.Activations)}, got '{mlp.Activation}'");
        }
        if (m.Layers is { Count: 0 }) throw c.Error("model.layers", "must list at least one layer");
        if (m.Input is { } input && (input.Length == 0 || input.Any(d => d < 1))) throw c.Error("model.input", $"must be a non-empty list of sizes >= 1, got [{string.Join(", ", input)}]");
        if (!InitConfig.Schemes.Contains(m.Init.Scheme))
            throw c.Error("model.init.scheme", $"must be one of {string.Join(", ", InitConfig.Schemes)}, got '{m.Init.Scheme}'");
        Positive(c, "model.init.scale", m.Init.Scale);
        Positive(c, "model.init.std", m.Init.Std);

        var d = c.Data;
        if (string.IsNullOrWhiteSpace(d.Train.Name)) throw c.Error("data.train", "needs a dataset name");
        if (d.Subsample is int n && n < 1) throw c.Error("data.subsample", $"must be >= 1, got {n}");
        if (!(d.LabelNoise >= 0 && d.LabelNoise <= 1)) throw c.Error("data.label_noise", $"must lie in [0, 1], got {d.LabelNoise}");
        if (d.Binary is { } b && (b.Length != 2 || b[0] == b[1] || b[0] < 0 || b[1] < 0))
            throw c.Error("data.binary", $"must be two different classes [a, b], got [{string.Join(", ", b)}]");
        if (d.BinarySplit is int bt && bt < 1) throw c.Error("data.binary_split", $"must be a class index >= 1 (label >= t -> 1), got {bt}");
        if (d.BinarySplit is not null && d.Binary is not null) throw c.Error("data.binary_split", "cannot be combined with data.binary (both make the task binary)");
        if (d.Split is { } split) ValidateSplit(c, split);
        else if (d.Test is { } test && TrainerData.SameSource(d.Train, test)) throw LeakageError(c, d.Train, test);

        if (!LossConfig.Kinds.Contains(c.Loss.Kind))
            throw c.Error("loss.kind", $"must be one of {string.Join(", ", LossConfig.Kinds)}, got '{c.Loss.Kind}'");
        Positive(c, "loss.target_scale", c.Loss.TargetScale);

        var a = c.Algorithm;
        if (string.IsNullOrWhiteSpace(a.Name)) throw c.Error("algorithm.name", "must name an algorithm");
        Positive(c, "algorithm.eta", a.Eta);
        if (a.BatchSize < 0) throw c.Error("algorithm.batch_size", $"must be >= 0 (0 = full batch), got {a.BatchSize}");
        if (!(a.WeightDecay >= 0) || !double.IsFinite(a.WeightDecay)) throw c.Error("algorithm.weight_decay", $"must be >= 0, got {a.WeightDecay}");

        var s = c.Schedule;
        if (s.Kind == ScheduleKind.Step)
        {
            Positive(c, "schedule.factor", s.Factor);
            if (s.Every < 1) throw c.Error("schedule.every", $"must be >= 1, got {s.Every}");
        }
        if (s.Kind == ScheduleKind.Cosine)
        {
            if (s.Total is long t && t < 1) throw c.Error("schedule.total", $"must be >= 1, got {t}");
            if (s.Total is null && c.Stop.Steps is null) throw c.Error("schedule.total", "is needed by the cosine schedule when stop.steps is not set");
            if (!(s.MinEta >= 0) || s.MinEta > a.Eta) throw c.Error("schedule.min_eta", $"must lie in [0, algorithm.eta = {a.Eta}], got {s.MinEta}");
        }

        var st = c.Stop;
        if (!st.IsBounded) throw c.Error("stop", "needs steps or time so that the run ends");
        if (st.Steps is long k && k < 1) throw c.Error("stop.steps", $"must be >= 1, got {k}");
        if (st.Time is double time) Positive(c, "stop.time", time);
        if (st.Loss is double loss) Positive(c, "stop.loss", loss);
        if (st.TrainAccuracy is double acc && !(acc > 0 && acc <= 1)) throw c.Error("stop.train_acc", $"must lie in (0, 1], got {acc}");
        if (st.Margin is double mg && !double.IsFinite(mg)) throw c.Error("stop.margin", $"must be finite, got {mg}");
        if (st.Gamma is double g && !double.IsFinite(g)) throw c.Error("stop.gamma", $"must be finite, got {g}");
        if (st.CheckEvery < 1) throw c.Error("stop.check_every", $"must be >= 1, got {st.CheckEvery}");

        var p = c.Probes;
        if (p.Every < 0) throw c.Error("probes.every", $"must be >= 0, got {p.Every}");
        if (p.PerDecade < 0) throw c.Error("probes.log_spaced", $"must be >= 0, got {p.PerDecade}");
        if (p.CheckpointEvery < 0) throw c.Error("probes.checkpoint_every", $"must be >= 0, got {p.CheckpointEvery}");
    }

    private static void Positive(TrainConfig c, string key, double v)
    {
        if (!(v > 0) || !double.IsFinite(v)) throw c.Error(key, $"must be > 0, got {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }

    private static void ValidateSplit(TrainConfig c, SplitConfig s)
    {
        var d = c.Data;
        if (d.Test is not null)
            throw c.Error("data.test", "must be left out when data.split is set: the test set is then the split's held-out part of data.train (one source, disjoint rows)");
        bool fractions = s.Test is not null || s.Validation is not null;
        if (fractions && s.ByCounts)
            throw c.Error("data.split", "mixes fractions (test, validation) with per-class counts (train_per_class, test_per_class, validation_per_class); use one kind");
        if (fractions)
        {
            if (s.Test is double t && !(t > 0 && t < 1)) throw c.Error("data.split.test", $"must be a fraction in (0, 1), got {t}");
            if (s.Validation is double v && !(v > 0 && v < 1)) throw c.Error("data.split.validation", $"must be a fraction in (0, 1), got {v}");
            if ((s.Test ?? 0) + (s.Validation ?? 0) >= 1)
                throw c.Error("data.split", $"holds out test {s.Test ?? 0} + validation {s.Validation ?? 0} >= 1 of the data, leaving nothing to train on");
        }
        else if (s.ByCounts)
        {
            if (s.TrainPerClass is int tr && tr < 1) throw c.Error("data.split.train_per_class", $"must be >= 1, got {tr}");
            if (s.TestPerClass is int te && te < 0) throw c.Error("data.split.test_per_class", $"must be >= 0, got {te}");
            if (s.ValidationPerClass is int va && va < 0) throw c.Error("data.split.validation_per_class", $"must be >= 0, got {va}");
            if ((s.TestPerClass ?? 0) + (s.ValidationPerClass ?? 0) == 0)
                throw c.Error("data.split", "holds nothing out: give test_per_class (and/or validation_per_class) >= 1");
            if (!s.Stratified) throw c.Error("data.split.stratified", "must be true with per-class counts (counts are per class)");
        }
        else throw c.Error("data.split", "needs the held-out part: test (a fraction such as 0.2) or test_per_class (a count such as 100), optionally validation / validation_per_class");
    }

    /// <summary>The error for a train and test set drawn independently from one source, with the split that fixes it.</summary>
    private static TrainConfigException LeakageError(TrainConfig c, DataSource train, DataSource test)
    {
        var trainParams = train.Params.Where(kv => kv.Key != "per_class").Select(kv => $"{kv.Key}: {kv.Value}");
        string source = $"{{name: {train.Name}{string.Concat(trainParams.Select(p => ", " + p))}}}";
        string split = train.Params.TryGetValue("per_class", out var trPer) && test.Params.TryGetValue("per_class", out var tePer)
            ? $"{{train_per_class: {trPer}, test_per_class: {tePer}}}"
            : test.Params.TryGetValue("per_class", out var onlyTe) ? $"{{test_per_class: {onlyTe}}}" : "{test: 0.2}";
        return c.Error("data.test", $"draws from '{test.Name}', the same source as data.train ('{train.Name}'): the two are drawn independently and can share rows, "
            + $"so the test accuracy would be measured partly on training samples (test-set leakage). Use one source and a split instead: "
            + $"data: {{train: {source}, split: {split}}} (and remove data.test); or choose a test set from another source");
    }
}
