"""The built-in classes against the real machine: schema install, OS, computer
system, processor, disks, network, environment, services."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

import openwmi
from openwmi.errors import HResult, NotFoundError, ProviderNotCapableError, WbemError
from openwmi.model import ObjectPath
from openwmi.providers import install_builtin
from openwmi.providers.builtin import ServiceProvider, schema_version
from openwmi.providers.builtin._disk import Mount, drive_type, mounts
from openwmi.providers.builtin._service import parse_show, to_service


# --- install -----------------------------------------------------------------------------
def test_install_is_idempotent_and_versioned(svc: openwmi.Services) -> None:
    first = install_builtin(svc)
    assert first.compiled
    assert "Win32_Process" in first.registered
    assert svc.get_object("OpenWMI_SchemaVersion=@").Version == schema_version()
    again = install_builtin(svc)
    assert not again.compiled
    assert again.registered == []  # providers already registered


def test_outdated_schema_is_recompiled(svc: openwmi.Services) -> None:
    install_builtin(svc)
    svc.put_instance(svc.spawn_instance("OpenWMI_SchemaVersion", Version="sha256:old"))
    report = install_builtin(svc)
    assert report.compiled
    assert svc.get_object("OpenWMI_SchemaVersion=@").Version == schema_version()


def test_install_into_another_namespace_via_manager(svc: openwmi.Services) -> None:
    report = install_builtin(svc.manager, "root/linux")
    assert report.namespace == "root/linux"
    os_inst = svc.manager.get_instance("root/linux", "Win32_OperatingSystem=@")
    assert os_inst.OSType == 36


def test_schema_hierarchy(cimv2: openwmi.Services) -> None:
    cls = cimv2.get_object("Win32_Process")
    assert cls.key_names == ["Handle"]
    assert cls.is_subclass_of("CIM_Process")
    assert cls.is_subclass_of("CIM_ManagedElement")
    assert cls.methods["Create"].is_static
    assert cimv2.get_object("Win32_LogicalDisk").is_subclass_of("CIM_LogicalDisk")
    assert cimv2.get_object("Win32_Volume").is_subclass_of("CIM_StorageVolume")
    assert cimv2.get_object("Win32_OperatingSystem").is_singleton


# --- machine classes ---------------------------------------------------------------------
def test_operating_system_singleton(cimv2: openwmi.Services) -> None:
    (inst,) = list(cimv2.create_instance_enum("Win32_OperatingSystem"))
    got = cimv2.get_object("Win32_OperatingSystem=@")
    assert got.Name == inst.Name
    assert got.Name.count("|") == 2
    assert got.OSType == 36
    assert got.Version == os.uname().release
    assert got.TotalVisibleMemorySize == psutil.virtual_memory().total // 1024
    assert got.LastBootUpTime is not None
    assert got.NumberOfProcesses > 0


def test_computer_system(cimv2: openwmi.Services) -> None:
    name = os.uname().nodename.split(".")[0]
    inst = cimv2.get_object(f'Win32_ComputerSystem.Name="{name}"')
    assert inst.NumberOfLogicalProcessors == psutil.cpu_count()
    assert inst.TotalPhysicalMemory == psutil.virtual_memory().total
    with pytest.raises(NotFoundError):
        cimv2.get_object('Win32_ComputerSystem.Name="not-this-host"')


def test_processor(cimv2: openwmi.Services) -> None:
    cpus = list(cimv2.create_instance_enum("Win32_Processor"))
    assert cpus
    assert sum(c.NumberOfLogicalProcessors for c in cpus) == psutil.cpu_count()
    assert cimv2.get_object('Win32_Processor.DeviceID="CPU0"').DeviceID == "CPU0"
    links = list(cimv2.create_instance_enum("Win32_ComputerSystemProcessor"))
    assert len(links) == len(cpus)


def test_system_operating_system_association(cimv2: openwmi.Services) -> None:
    (link,) = list(cimv2.create_instance_enum("Win32_SystemOperatingSystem"))
    assert link.PartComponent.singleton
    assert link.PrimaryOS is True


# --- disks ---------------------------------------------------------------------------------
def test_logical_disks_agree_with_statvfs(cimv2: openwmi.Services) -> None:
    disks = list(cimv2.create_instance_enum("Win32_LogicalDisk"))
    assert any(d.DeviceID == "/" for d in disks)
    for d in disks:
        st = os.statvfs(d.DeviceID)
        assert d.Size == st.f_blocks * st.f_frsize
        # free space moves while other processes write; allow 64 MiB of drift
        assert abs(d.FreeSpace - st.f_bavail * st.f_frsize) < 64 << 20
        assert d.BlockSize == st.f_bsize


def test_logical_disk_get_and_drive_type_query(cimv2: openwmi.Services) -> None:
    root = cimv2.get_object('Win32_LogicalDisk.DeviceID="/"')
    assert root.Name == "/"
    local = [
        d for d in cimv2.create_instance_enum("Win32_LogicalDisk") if d.DriveType == 3
    ]
    assert local
    with pytest.raises(NotFoundError):
        cimv2.get_object('Win32_LogicalDisk.DeviceID="/not/a/mount"')


def test_volumes_agree_with_statvfs(cimv2: openwmi.Services) -> None:
    root = cimv2.get_object('Win32_Volume.DeviceID="/"')
    st = os.statvfs("/")
    assert root.Capacity == st.f_blocks * st.f_frsize
    assert root.SystemVolume is True
    assert root.DriveLetter is None


def test_mount_table_parsing(tmp_path: Path) -> None:
    table = tmp_path / "mounts"
    table.write_text(
        "proc /proc proc rw 0 0\n"
        "/dev/sda1 / ext4 rw,relatime 0 0\n"
        "/dev/sdb1 /mnt/my\\040disk vfat ro 0 0\n"
        "server:/x /net nfs4 rw 0 0\n"
        "tmpfs /dev/shm tmpfs rw 0 0\n"
        "tmpfs /run/user tmpfs rw 0 0\n"
        "devpts /dev/pts devpts rw 0 0\n"
        "cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\n"
        "/dev/sr0 /media/cd iso9660 ro 0 0\n"
        "/dev/sda2 / ext4 rw 0 0\n"
    )
    found = {m.mountpoint: m for m in mounts(str(table))}
    assert sorted(found) == [
        "/",
        "/dev/shm",
        "/media/cd",
        "/mnt/my disk",
        "/net",
        "/run/user",
    ]
    assert found["/"].source == "/dev/sda2"  # the last mount on a point wins
    assert found["/mnt/my disk"].read_only
    assert drive_type(found["/net"]) == 4
    assert drive_type(found["/dev/shm"]) == 6
    assert drive_type(found["/media/cd"]) == 5
    assert drive_type(Mount("//srv/share", "/smb", "cifs", ())) == 4
    assert drive_type(Mount("/dev/vda", "/", "ext4", ())) in (2, 3)


# --- network, environment --------------------------------------------------------------------
def test_network_adapters(cimv2: openwmi.Services) -> None:
    adapters = {
        a.NetConnectionID: a for a in cimv2.create_instance_enum("Win32_NetworkAdapter")
    }
    assert set(adapters) == set(psutil.net_if_stats())
    lo = adapters["lo"]
    assert lo.AdapterType == "Local loopback"
    assert lo.PhysicalAdapter is False
    got = cimv2.get_object(f'Win32_NetworkAdapter.DeviceID="{lo.DeviceID}"')
    assert got.Index == lo.Index


def test_network_adapter_configuration(cimv2: openwmi.Services) -> None:
    configs = {
        c.SettingID: c
        for c in cimv2.create_instance_enum("Win32_NetworkAdapterConfiguration")
    }
    assert "127.0.0.1" in configs["lo"].IPAddress
    assert configs["lo"].IPEnabled is True
    index = configs["lo"].Index
    assert (
        cimv2.get_object(f"Win32_NetworkAdapterConfiguration.Index={index}").SettingID
        == "lo"
    )
    settings = list(cimv2.create_instance_enum("Win32_NetworkAdapterSetting"))
    assert len(settings) == len(configs)


def test_environment(cimv2: openwmi.Services) -> None:
    env = list(cimv2.create_instance_enum("Win32_Environment"))
    user_vars = {e.Name: e for e in env if not e.SystemVariable}
    assert user_vars["PATH"].VariableValue == os.environ["PATH"]
    user = user_vars["PATH"].UserName
    path = ObjectPath.for_instance(
        "Win32_Environment", {"Name": "PATH", "UserName": user}
    )
    assert cimv2.get_object(path).VariableValue == os.environ["PATH"]


# --- services ----------------------------------------------------------------------------------
def test_service_without_systemd_is_not_capable(tmp_path: Path) -> None:
    prov = ServiceProvider(runtime_dir=str(tmp_path / "absent"))
    with pytest.raises(ProviderNotCapableError) as exc:
        list(prov.enumerate_instances(None, "Win32_Service"))
    assert exc.value.hresult == HResult.WBEM_E_PROVIDER_NOT_CAPABLE
    assert "systemd" in exc.value.message


def test_service_through_the_manager_without_systemd(cimv2: openwmi.Services) -> None:
    if os.path.isdir("/run/systemd/system"):
        pytest.skip("this machine runs systemd")
    with pytest.raises(WbemError) as exc:
        list(cimv2.create_instance_enum("Win32_Service"))
    assert exc.value.hresult == HResult.WBEM_E_PROVIDER_NOT_CAPABLE


SHOW = """Id=ssh.service
Description=OpenBSD Secure Shell server
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled
MainPID=812
ExecMainStatus=0
ExecStart={ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D ; ignore_errors=no }
User=
CanStop=yes

Id=cron.service
Description=Regular background program processing daemon
LoadState=loaded
ActiveState=failed
SubState=failed
UnitFileState=disabled
MainPID=0
ExecMainStatus=1
ExecStart=
User=
CanStop=yes
"""


def test_service_from_systemctl_output(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def runner(argv):
        calls.append(list(argv))
        if argv[1] == "list-units":
            return (
                0,
                "ssh.service loaded active running OpenSSH\ncron.service loaded failed failed cron\n",
            )
        return 0, SHOW

    prov = ServiceProvider(runtime_dir=str(tmp_path), runner=runner)
    services = {s["Name"]: s for s in prov.enumerate_instances(None, "Win32_Service")}
    ssh, cron = services["ssh"], services["cron"]
    assert ssh["State"] == "Running"
    assert ssh["Started"]
    assert ssh["StartMode"] == "Auto"
    assert ssh["ProcessId"] == 812
    assert ssh["PathName"] == "/usr/sbin/sshd -D"
    assert cron["State"] == "Stopped"
    assert cron["Status"] == "Error"
    assert cron["StartMode"] == "Disabled"
    assert cron["ExitCode"] == 1
    assert prov.invoke_method(
        None, ObjectPath.parse('Win32_Service.Name="ssh"'), "StartService", {}
    ) == {"ReturnValue": 10}
    assert prov.invoke_method(
        None, ObjectPath.parse('Win32_Service.Name="ssh"'), "StopService", {}
    ) == {"ReturnValue": 0}
    assert calls[-1][1:] == ["stop", "--no-block", "ssh.service"]


def test_parse_show_blocks() -> None:
    blocks = parse_show(SHOW)
    assert [b["Id"] for b in blocks] == ["ssh.service", "cron.service"]
    assert to_service(blocks[0])["AcceptStop"] is True
