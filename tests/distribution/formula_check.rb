# frozen_string_literal: true

# Loads a Homebrew formula under a minimal stub of Homebrew's DSL, once per platform, runs its
# install and test blocks against a fake binary, and prints what it found as JSON.
#   ruby formula_check.rb FORMULA WORKDIR [VERSION_THE_FAKE_BINARY_PRINTS]
require "json"
require "fileutils"
require "pathname"

# Just enough of Homebrew's Formula class for a binary-download formula.
class Formula
  class << self
    # The platform being simulated, shared by every subclass.
    def platform
      Formula.instance_variable_get(:@platform)
    end

    def fields
      @fields ||= { "calls" => [] }
    end

    %w[desc homepage version license url sha256].each do |name|
      define_method(name) do |value = nil|
        return fields[name] if value.nil?

        raise "#{name} set twice for #{platform.join('/')}" if fields.key?(name)

        fields[name] = value
      end
    end

    def on_macos
      yield if platform[0] == "macos"
    end

    def on_linux
      yield if platform[0] == "linux"
    end

    def on_arm
      yield if platform[1] == "arm"
    end

    def on_intel
      yield if platform[1] == "intel"
    end

    def test(&block)
      fields["test"] = block
    end

    def method_missing(name, *args)
      raise NoMethodError, "the stub DSL does not know #{name}(#{args.inspect}); extend formula_check.rb"
    end

    def respond_to_missing?(*)
      false
    end
  end

  attr_reader :bin

  def initialize(bin)
    @bin = bin
  end

  def version
    self.class.version
  end

  def assert_match(pattern, text)
    raise "assert_match failed: #{pattern.inspect} not in #{text.inspect}" unless text.match?(pattern)
  end

  def shell_output(cmd)
    out = `#{cmd}`
    raise "shell_output: #{cmd} exited #{$?.exitstatus}" unless $?.success?

    out
  end
end

# bin.install "src" => "dst" records and copies.
class StubBin < Pathname
  def install(mapping)
    mapping.each do |src, dst|
      raise "bin.install got no source (glob matched nothing)" if src.nil?

      FileUtils.mkdir_p(to_s)
      FileUtils.cp(src, join(dst).to_s)
      FileUtils.chmod(0o755, join(dst).to_s)
    end
  end
end

formula, work, printed_version = ARGV
report = {}
[%w[macos arm], %w[macos intel], %w[linux arm], %w[linux intel]].each do |platform|
  Object.send(:remove_const, :TalosctlOidc) if Object.const_defined?(:TalosctlOidc)
  Formula.instance_variable_set(:@platform, platform)
  load File.expand_path(formula)
  klass = Object.const_get(:TalosctlOidc)
  fields = klass.instance_variable_get(:@fields) || {}
  entry = fields.reject { |k, _| %w[test calls].include?(k) }
  entry["has_test"] = fields.key?("test")
  # Stage the download as Homebrew does (the URL's basename in the build dir), then install and test.
  stage = File.join(work, platform.join("-"))
  FileUtils.mkdir_p(stage)
  asset = File.basename(fields["url"].to_s)
  File.write(File.join(stage, asset), "#!/bin/sh\necho \"talosctl-oidc v#{printed_version || fields['version']}\"\n")
  bin = StubBin.new(File.join(stage, "prefix", "bin"))
  f = klass.new(bin)
  Dir.chdir(stage) { f.install }
  entry["installed"] = Dir.children(bin.to_s).sort
  begin
    f.instance_eval(&fields["test"]) if fields["test"]
    entry["test_passed"] = true
  rescue StandardError => e
    entry["test_passed"] = false
    entry["test_error"] = e.message
  end
  report[platform.join("/")] = entry
end
puts JSON.pretty_generate(report)
