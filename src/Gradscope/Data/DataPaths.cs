namespace Gradscope.Data;

/// <summary>
/// Locates the repository's <c>data/</c> folder from any working directory: the environment variable
/// <c>GRADSCOPE_DATA</c> (a data folder) wins; otherwise it walks up from <see cref="AppContext.BaseDirectory"/>
/// and from the current directory to the first folder that holds <c>Gradscope.slnx</c> or <c>data/SHA256SUMS</c>;
/// last, from the folder this file was compiled from (builds whose output lives outside the clone, such as
/// <c>--artifacts-path /tmp/...</c>, still find the clone they were built from).
/// </summary>
public static class DataPaths
{
    /// <summary>Environment variable that overrides the data folder.</summary>
    public const string DataEnvironmentVariable = "GRADSCOPE_DATA";

    /// <summary>The data folder, or null when none is found.</summary>
    public static string? TryFindDataDirectory()
    {
        var env = Environment.GetEnvironmentVariable(DataEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory, CompiledFrom() })
        {
            if (string.IsNullOrEmpty(start) || !Path.IsPathFullyQualified(start)) continue;
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var data = Path.Combine(dir.FullName, "data");
                if (File.Exists(Path.Combine(data, "SHA256SUMS")) || File.Exists(Path.Combine(dir.FullName, "Gradscope.slnx")))
                    return data;
            }
        }
        return null;
    }

    private static string CompiledFrom([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        Path.GetDirectoryName(file) ?? "";

    /// <summary>The data folder; throws DirectoryNotFoundException explaining how to point Gradscope at it.</summary>
    public static string DataDirectory => TryFindDataDirectory()
        ?? throw new DirectoryNotFoundException($"Gradscope cannot find its data folder: no folder holding Gradscope.slnx or data/SHA256SUMS above '{AppContext.BaseDirectory}' or '{Environment.CurrentDirectory}'. Set {DataEnvironmentVariable} to the data folder.");

    /// <summary>Default folder for downloaded datasets: <c>data/fetched</c>.</summary>
    public static string FetchedDirectory => Path.Combine(DataDirectory, "fetched");
}
