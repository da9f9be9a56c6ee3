namespace Gradscope.Training;

/// <summary>A decision stump h(x) = Sign if x[Feature] &gt; Threshold, else -Sign (values in {-1, +1}).</summary>
public readonly record struct DecisionStump(int Feature, double Threshold, int Sign)
{
    /// <summary>h(x) for one sample's features.</summary>
    public int Predict(ReadOnlySpan<double> x) => x[Feature] > Threshold ? Sign : -Sign;
}

/// <summary>One AdaBoost round: the stump chosen, its weighted edge gamma_t = sum_i D_i y_i h(x_i) = 1 - 2 eps_t, its weight alpha_t, and the l1-normalized margin after the round.</summary>
public readonly record struct AdaBoostRound(DecisionStump Stump, double Edge, double WeightedError, double Alpha, double Margin, double TrainingError);
